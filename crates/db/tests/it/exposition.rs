//! The statement series as Prometheus sees them: promtool finds nothing to say.

#[cfg(feature = "postgres")]
#[tokio::test]
async fn the_series_pass_promtool() {
    let Some(promtool) = steadfast_testkit::require_tool("promtool", "apt-get install prometheus")
    else {
        return;
    };
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres(&ca) else {
        return;
    };
    let url = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        server.port
    );
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let observer = steadfast_db::DbObserver::default();
    let db = observer.wrap(client);
    db.query("SELECT 1", &[]).await.unwrap();
    assert!(db.query("SELECT 1/0", &[]).await.is_err());
    let registry = prometheus::Registry::new();
    observer
        .register_prometheus(&registry, &steadfast_core::Prefix::default())
        .unwrap();
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    let id = steadfast_db::fingerprint("select 1").id_hex();
    assert!(
        text.contains(&format!(
            "steadfast_db_statements_total{{statement=\"{id}\"}} 1"
        )),
        "{text}"
    );
    assert!(
        text.contains("steadfast_db_statement_errors_total{class=\"22\""),
        "{text}"
    );
    assert!(text.contains("steadfast_db_connections_in_use 1"), "{text}");
    steadfast_testkit::assert_promtool_clean(&promtool, &text);
}
