//! What `devicegate serve` does with each audit record it stores: deployed, the AuditTable's
//! stream and an EventBridge pipe publish it to the bus (docs/audit.md); here it is printed as
//! the bus would carry it, to the log or to `--events-file`.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use devicegate::storage::{AuditSink, bus_event};

/// The sink for `--events-file` (JSON lines appended), or the log when there is none.
pub fn sink(file: Option<&Path>) -> Result<AuditSink, String> {
    let Some(path) = file else {
        return Ok(AuditSink::new(|event| {
            tracing::info!(target: "devicegate::events", event = %bus_event(event), "audit event");
        }));
    };
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("--events-file {}: {e}", path.display()))?;
    let out = Arc::new(Mutex::new(out));
    Ok(AuditSink::new(move |event| {
        let line = format!("{}\n", bus_event(event));
        let written = out
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::error!(error = %e, "could not append an audit event to --events-file");
        }
    }))
}
