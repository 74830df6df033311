//! What a data folder is given on its first run: a server secret (kept readable by its owner
//! only) and the lines that tell the operator how to start.

use std::path::Path;

use devicegate::config::ServerSecret;

use crate::examples::credentials;

pub(super) fn print_first_run(base: &str, admin_key: &str, data: &Path) {
    println!(
        "\
devicegate: first run; the tables, a server secret and the example records are in {data}.

  admin key (shown this once): {admin_key}
  admin API:      curl -s -H 'authorization: Bearer {admin_key}' {base}/admin/devices
  device flow:    curl -s {base}/oauth2/device_authorization -d client_id={cli}
  admin console:  {base}/admin/console  (sign in with the admin key)
  sign in at:     {base}/device  (user {user}, password \"{password}\")
  sample events:  use the example keys of cli/src/examples.rs (API key {api_key})
",
        data = data.display(),
        cli = credentials::CLI_CLIENT_ID,
        user = credentials::USERNAME,
        password = credentials::PASSWORD,
        api_key = credentials::API_KEY,
    );
}

/// The server secret of this data folder: made once from the OS generator, kept in
/// `server-secret` (readable by its owner only).
pub(super) fn server_secret(data: &Path) -> Result<ServerSecret, String> {
    let path = data.join("server-secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return ServerSecret::from_text(&text);
    }
    let bytes = devicegate::secrets::random_bytes::<32>()
        .map_err(|e| format!("making the server secret: {e}"))?;
    let text = devicegate::secrets::to_hex(&bytes);
    write_private(&path, &text)?;
    ServerSecret::from_text(&text)
}

pub(super) fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
