//! The flow steps the fault sweep runs, and the setup that gives each case its own identities.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Step {
    ParagonRegister,
    ParagonPendingPoll,
    ParagonRedeem,
    ParagonRefresh,
    OAuthDeviceAuthorization,
    OAuthPendingPoll,
    OAuthRedeem,
    OAuthRefresh,
    OAuthRevoke,
    OAuthIntrospect,
    AdminApprove,
    AdminDeny,
    AdminRevoke,
    PageSignIn,
    PageApprove,
}

impl Step {
    pub(super) const ALL: [Step; 15] = [
        Step::ParagonRegister,
        Step::ParagonPendingPoll,
        Step::ParagonRedeem,
        Step::ParagonRefresh,
        Step::OAuthDeviceAuthorization,
        Step::OAuthPendingPoll,
        Step::OAuthRedeem,
        Step::OAuthRefresh,
        Step::OAuthRevoke,
        Step::OAuthIntrospect,
        Step::AdminApprove,
        Step::AdminDeny,
        Step::AdminRevoke,
        Step::PageSignIn,
        Step::PageApprove,
    ];

    /// Steps that must happen exactly once: after a `server_error` the state is the one before,
    /// or the one where the step fully happened.
    pub(super) fn once(self) -> bool {
        matches!(
            self,
            Step::ParagonRegister
                | Step::ParagonRedeem
                | Step::ParagonRefresh
                | Step::OAuthDeviceAuthorization
                | Step::OAuthRedeem
                | Step::OAuthRefresh
                | Step::AdminApprove
                | Step::AdminDeny
                | Step::PageApprove
        )
    }

    /// The audit record a once-only step leaves when it happens (docs/audit.md).
    pub(super) fn record(self) -> Option<&'static str> {
        Some(match self {
            Step::ParagonRegister => "device.registered",
            Step::ParagonRedeem | Step::OAuthRedeem => "device_code.redeemed",
            Step::ParagonRefresh | Step::OAuthRefresh => "token.refreshed",
            Step::AdminApprove => "device.approved",
            Step::AdminDeny => "device.denied",
            Step::PageApprove => "device_code.approved",
            _ => return None,
        })
    }

    pub(super) fn paragon(self) -> bool {
        matches!(
            self,
            Step::ParagonRegister
                | Step::ParagonPendingPoll
                | Step::ParagonRedeem
                | Step::ParagonRefresh
                | Step::AdminApprove
                | Step::AdminDeny
                | Step::AdminRevoke
        )
    }
}

/// A step's environment and the values its setup produced.
pub(super) struct Ctx {
    pub(super) env: TestEnv,
    /// The case's Paragon device, user, and source address.
    pub(super) printer: String,
    pub(super) username: String,
    pub(super) source: String,
    pub(super) api_key: String,
    pub(super) admin: String,
    pub(super) device_code: String,
    pub(super) user_code: String,
    pub(super) access: String,
    pub(super) refresh: String,
    pub(super) cli_id: String,
    pub(super) rs_id: String,
    pub(super) rs_secret: String,
    pub(super) session: Option<Session>,
}

/// One argon2id hash for every case's user (hashing costs tens of milliseconds).
pub(super) fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| devicegate::password::hash(PASSWORD).unwrap())
}

/// Sets up `step` for case `n` in `base`'s tables.
pub(super) async fn setup(step: Step, base: &TestEnv, n: usize) -> Ctx {
    setup_in(step, fast_env(base, false), n).await
}

pub(super) async fn setup_in(step: Step, env: TestEnv, n: usize) -> Ctx {
    let mut c = Ctx {
        env,
        printer: format!("printer-{n}"),
        username: format!("ada-{n}"),
        source: format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256),
        api_key: String::new(),
        admin: String::new(),
        device_code: String::new(),
        user_code: String::new(),
        access: String::new(),
        refresh: String::new(),
        cli_id: String::new(),
        rs_id: String::new(),
        rs_secret: String::new(),
        session: None,
    };
    let env = &c.env;
    let now = http::now();
    if step.paragon() {
        c.api_key = env.api_key(Default::default()).await;
        c.admin = env.admin_key().await;
        if step == Step::ParagonRegister {
            return c;
        }
        let reg = env
            .register(&register_body(&c.printer, &c.api_key), None)
            .await;
        assert_eq!(reg.status, 200, "{}", reg.json);
        c.device_code = reg.str("device_code");
        if matches!(
            step,
            Step::ParagonRedeem | Step::ParagonRefresh | Step::AdminRevoke
        ) {
            admin::act_on_device(
                env.store(),
                &c.printer,
                DeviceAction::Approve,
                now,
                &devicegate::model::Origin::system("test"),
            )
            .await
            .unwrap();
            env.force_poll_due(&c.device_code).await;
        }
        if matches!(step, Step::ParagonRefresh | Step::AdminRevoke) {
            let t = env.poll(&c.printer, &c.api_key, &c.device_code).await;
            assert_eq!(t.status, 200, "{}", t.json);
            c.access = t.str("access_token");
            c.refresh = t.str("refresh_token");
        }
        return c;
    }

    let (cli, rs) = devicegate_tests::oauth::acme_clients(env, now).await;
    env.put_user(&c.username, password_hash(), now).await;
    c.cli_id = cli.client.client_id;
    c.rs_id = rs.client.client_id;
    c.rs_secret = rs.secret.unwrap();
    if matches!(step, Step::OAuthDeviceAuthorization | Step::PageSignIn) {
        return c;
    }
    let start = env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={}&scope=read", enc(&c.cli_id)),
            None,
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.json);
    c.device_code = start.str("device_code");
    c.user_code = start.str("user_code");
    if step == Step::PageApprove {
        let signed_in = sign_in::sign_in(
            env.store(),
            &env.deps.settings,
            &c.username,
            PASSWORD,
            &devicegate_tests::origin_from(&c.source),
            now,
        )
        .await
        .unwrap();
        c.session = Some(signed_in.session);
        return c;
    }
    if step == Step::OAuthPendingPoll {
        return c;
    }
    assert!(
        env.store()
            .decide_on_page(
                &hash_secret(&c.device_code),
                &c.username,
                PageDecision::Approve,
                (Some("read"), Lifetimes::default()),
                now,
                &devicegate_tests::setup_record(
                    devicegate::model::AuditType::DeviceCodeApproved,
                    "test"
                ),
            )
            .await
            .unwrap()
    );
    env.force_poll_due(&c.device_code).await;
    if step == Step::OAuthRedeem {
        return c;
    }
    let t = env
        .oauth2("/oauth2/token", &oauth_poll_body(&c), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    c.access = t.str("access_token");
    c.refresh = t.str("refresh_token");
    c
}

pub(super) fn oauth_poll_body(c: &Ctx) -> String {
    format!(
        "grant_type={}&device_code={}&client_id={}",
        enc(DEVICE_GRANT),
        enc(&c.device_code),
        enc(&c.cli_id)
    )
}
