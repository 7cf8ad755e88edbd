//! Pooled connections: each checked-out client of a deadpool pool wrapped with one
//! observer; calls from concurrent tasks land in one recording, and a returned connection
//! stops counting as in use.

use steadfast_db::DbObserver;
use tokio_postgres::{Client, NoTls};

struct Pg(String);

impl deadpool::managed::Manager for Pg {
    type Type = Client;
    type Error = tokio_postgres::Error;
    async fn create(&self) -> Result<Client, tokio_postgres::Error> {
        let (client, conn) = tokio_postgres::connect(&self.0, NoTls).await?;
        tokio::spawn(conn);
        Ok(client)
    }
    async fn recycle(
        &self,
        _: &mut Client,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<tokio_postgres::Error> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connections_record_into_one_observer() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres(&ca) else {
        return;
    };
    let url = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        server.port
    );
    let pool: deadpool::managed::Pool<Pg> = deadpool::managed::Pool::builder(Pg(url))
        .max_size(2)
        .build()
        .unwrap();
    let observer = DbObserver::default();
    let tasks: Vec<_> = (0..6_i32)
        .map(|i| {
            let (pool, observer) = (pool.clone(), observer.clone());
            tokio::spawn(async move {
                let conn = pool.get().await.unwrap();
                let db = observer.wrap::<&Client>(&conn);
                assert!(observer.connections_in_use() >= 1);
                db.query_one("SELECT $1::int + 1", &[&i]).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let s = observer.statements();
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].text.as_str(), s[0].calls, s[0].rows),
        ("select ?::int + ?", 6, 6)
    );
    assert_eq!(observer.connections_in_use(), 0);
    assert!(pool.status().size <= 2);
}
