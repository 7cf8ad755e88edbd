//! The accept loop of the thread-per-connection test servers (`files`, `fhir`): each
//! connection answered on its own thread, the loop stopped and joined when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::JoinHandle;

/// A running accept loop on 127.0.0.1; stopped when dropped.
pub(crate) struct Acceptor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    /// Binds a free port on 127.0.0.1 and answers each connection with `answer` on a
    /// thread of its own, handing it `shared`.
    ///
    /// # Panics
    /// When no port on 127.0.0.1 can be bound.
    pub(crate) fn start<S: Send + Sync + 'static>(
        shared: Arc<S>,
        answer: fn(TcpStream, &S) -> std::io::Result<()>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    let s = Arc::clone(&shared);
                    std::thread::spawn(move || {
                        let _ = answer(stream, &s);
                    });
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        // Wakes the loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
