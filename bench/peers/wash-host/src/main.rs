//! wash-bench-host COMPONENT.wasm ADDR: runs one component on a wash-runtime host and
//! serves its wasi:http/incoming-handler on ADDR for every Host header, until SIGTERM.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use wash_runtime::engine::Engine;
use wash_runtime::host::{HostApi, HostBuilder};
use wash_runtime::plugin::wasi_http::HttpServer;
use wash_runtime::types::{Component, LocalResources, Workload, WorkloadStartRequest};
use wash_runtime::wit::WitInterface;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = || anyhow!("usage: wash-bench-host COMPONENT.wasm ADDR");
    let wasm = args.next().ok_or_else(usage)?;
    let addr = args.next().ok_or_else(usage)?;
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {wasm}"))?;

    let http = HttpServer::new(addr.parse().context("ADDR must be host:port")?);
    let host = HostBuilder::new()
        .with_engine(Engine::builder().build()?)
        .with_plugin(Arc::new(http))?
        .build()?
        .start()
        .await?;

    // No version on the interface: a versioned one never matches the component's import.
    let incoming = WitInterface {
        namespace: "wasi".into(),
        package: "http".into(),
        interfaces: HashSet::from(["incoming-handler".to_string()]),
        version: None,
        config: HashMap::from([("host".to_string(), "*".to_string())]),
    };
    let component = Component {
        bytes: bytes.into(),
        local_resources: LocalResources::default(),
        pool_size: 0,
        max_invocations: 0,
    };
    let workload = Workload {
        namespace: "bench".into(),
        name: "hello".into(),
        annotations: HashMap::new(),
        service: None,
        components: vec![component],
        host_interfaces: vec![incoming],
        volumes: Vec::new(),
    };
    host.workload_start(WorkloadStartRequest { workload }).await?;
    eprintln!("wash-bench-host: serving {wasm} on http://{addr}/");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
