//! `devicegate audit`: the trail, newest first, as the admin API's `GET /admin/audit` reads it.

use clap::Args;
use devicegate::api::admin::audit::{AuditEventView, now_ms};
use devicegate::usecases::admin::{self, AuditFilter};
use devicegate::{Error, Store};

use super::print_json;

/// The filters of `GET /admin/audit`, as flags.
#[derive(Args)]
pub struct AuditArgs {
    /// The thing acted on: a client id, a username, an API key id.
    #[arg(long)]
    subject: Option<String>,
    /// Who acted: `admin:<key id>`, `device:<client id>`, `cli:<account>`, `system`.
    #[arg(long)]
    actor: Option<String>,
    /// One event type, e.g. `device.approved` (docs/audit.md lists them).
    #[arg(long = "type")]
    kind: Option<String>,
    /// RFC 3339 times, both inclusive.
    #[arg(long)]
    since: Option<String>,
    #[arg(long)]
    until: Option<String>,
    /// At most this many records (1 to 200; default 50).
    #[arg(long)]
    limit: Option<String>,
    /// The `next_cursor` a previous run printed on stderr.
    #[arg(long)]
    cursor: Option<String>,
}

/// Prints one JSON line per record; the cursor of the next page, if any, on stderr.
pub async fn run(args: AuditArgs, store: &Store) -> Result<(), Error> {
    let filter = AuditFilter {
        subject: args.subject,
        actor: args.actor,
        kind: args.kind,
        since: args.since,
        until: args.until,
        cursor: args.cursor,
        limit: args.limit,
    };
    let listing = admin::list_audit(store, filter, now_ms()).await?;
    for event in &listing.events {
        print_json(&AuditEventView::new(event))?;
    }
    if let Some(cursor) = listing.next_cursor {
        eprintln!("more: --cursor {cursor}");
    }
    Ok(())
}
