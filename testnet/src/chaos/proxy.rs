//! Put a userspace TCP proxy on every directed p2p link between nodes, and break links on
//! command: block a flow of bytes, delay it, or reset the connections that carry it.
//!
//! # Terminology
//!
//! - *Link* `(i, j)`: the proxy node `i` dials to reach node `j`; it listens on its own
//!   port on 127.0.0.1 and forwards to `j`'s real p2p port. One per ordered pair.
//! - *Flow* `(a, b)`: the bytes node `a` sends to node `b`, whichever of them dialed. A
//!   connection on link `(i, j)` carries flow `(i, j)` forward and flow `(j, i)` backward.
//!   Faults are stated on flows, so "node 2 is not heard" is one rule however the
//!   connection was opened.
//!
//! A blocked flow stops being read (the sender's TCP window fills, as in a partition where
//! packets are lost and retransmitted); a link whose two flows are both blocked also closes
//! new connections at once. A delayed flow holds each chunk for the delay before writing
//! it, without limiting throughput. A reset closes the live connections of a link with an
//! RST. Nothing needs root.
//!
//! The proxies run on their own small tokio runtime; the controller changes the rules
//! from any thread through a `watch` channel, which every connection follows.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// Bytes read at once from one side of a connection.
const CHUNK_BYTES: usize = 16 * 1024;

/// Chunks held in flight per direction (bounds memory under delay: 64 × 16 KiB).
const CHUNKS_IN_FLIGHT_MAX: usize = 64;

/// Why the proxies could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A listener or the runtime could not be created.
    #[error("cannot start the link proxies: {0}; next: check the loopback interface and open-file limit")]
    Io(#[from] std::io::Error),
}

/// The rules every connection follows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Flows `(from, to)` that are not forwarded.
    pub blocked: BTreeSet<(usize, usize)>,
    /// Flows held this long, milliseconds.
    pub delay_ms: BTreeMap<(usize, usize), u64>,
    /// Per link, a counter bumped to reset its live connections.
    pub resets: BTreeMap<(usize, usize), u64>,
}

impl Rules {
    /// Whether flow `(from, to)` is blocked.
    pub fn is_blocked(&self, from: usize, to: usize) -> bool {
        self.blocked.contains(&(from, to))
    }

    /// Whether link `(i, j)` refuses new connections (both flows blocked).
    pub fn refuses(&self, i: usize, j: usize) -> bool {
        self.is_blocked(i, j) && self.is_blocked(j, i)
    }

    fn delay(&self, from: usize, to: usize) -> Duration {
        Duration::from_millis(self.delay_ms.get(&(from, to)).copied().unwrap_or(0))
    }

    fn reset_count(&self, i: usize, j: usize) -> u64 {
        self.resets.get(&(i, j)).copied().unwrap_or(0)
    }
}

/// The proxies of a network of `n` nodes, running.
pub struct Mesh {
    n: usize,
    ports: BTreeMap<(usize, usize), u16>,
    http_ports: BTreeMap<(usize, usize), u16>,
    rules: watch::Sender<Rules>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Mesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mesh").field("n", &self.n).field("ports", &self.ports).finish()
    }
}

impl Mesh {
    /// Start one proxy per ordered pair of `targets` (each node's real p2p port), and one
    /// per ordered pair of `http_targets` (each node's HTTP port, which the others forward
    /// submitted documents to), on free ports of 127.0.0.1 other than those in `avoid`
    /// (the testnet's ports, chosen free but not bound until its nodes start). A rule on
    /// a flow holds for both. All pass everything until told otherwise.
    pub fn start(targets: &[u16], http_targets: &[u16], avoid: &[u16]) -> Result<Mesh, ProxyError> {
        let n = targets.len();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("vouch-chaos-proxy")
            .enable_all()
            .build()?;
        let (rules, _) = watch::channel(Rules::default());
        let (mut ports, mut http_ports) = (BTreeMap::new(), BTreeMap::new());
        for (layer, map) in [(targets, &mut ports), (http_targets, &mut http_ports)] {
            for i in 0..n {
                for (j, target) in layer.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    // Bound here, synchronously, so the port is known before any config is written.
                    let std_listener = bind_avoiding(avoid)?;
                    std_listener.set_nonblocking(true)?;
                    map.insert((i, j), std_listener.local_addr()?.port());
                    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, *target));
                    let rx = rules.subscribe();
                    let listener = {
                        let _guard = runtime.enter();
                        TcpListener::from_std(std_listener)?
                    };
                    runtime.spawn(accept_loop(listener, (i, j), to, rx));
                }
            }
        }
        Ok(Mesh { n, ports, http_ports, rules, runtime: Some(runtime) })
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.n
    }

    /// The port node `i` dials to reach node `j`.
    pub fn port(&self, i: usize, j: usize) -> Option<u16> {
        self.ports.get(&(i, j)).copied()
    }

    /// The port node `i` forwards documents to, to reach node `j`'s HTTP API.
    pub fn http_port(&self, i: usize, j: usize) -> Option<u16> {
        self.http_ports.get(&(i, j)).copied()
    }

    /// The current rules.
    pub fn rules(&self) -> Rules {
        self.rules.borrow().clone()
    }

    /// Change the rules; every connection sees the change at once.
    pub fn update(&self, change: impl FnOnce(&mut Rules)) {
        self.rules.send_modify(change);
    }

    /// Block (or unblock) the flows `(from, to)` listed.
    pub fn block(&self, flows: &[(usize, usize)], blocked: bool) {
        self.update(|r| {
            for f in flows {
                if blocked {
                    r.blocked.insert(*f);
                } else {
                    r.blocked.remove(f);
                }
            }
        });
    }

    /// Delay the flows listed by `ms` (0 removes the delay).
    pub fn delay(&self, flows: &[(usize, usize)], ms: u64) {
        self.update(|r| {
            for f in flows {
                if ms == 0 {
                    r.delay_ms.remove(f);
                } else {
                    r.delay_ms.insert(*f, ms);
                }
            }
        });
    }

    /// Reset the live connections of every link that carries one of `flows`.
    pub fn reset(&self, flows: &[(usize, usize)]) {
        self.update(|r| {
            for (a, b) in flows {
                for link in [(*a, *b), (*b, *a)] {
                    *r.resets.entry(link).or_insert(0) += 1;
                }
            }
        });
    }

    /// Pass everything again (live connections are kept).
    pub fn heal(&self) {
        self.update(|r| {
            r.blocked.clear();
            r.delay_ms.clear();
        });
    }

    /// Every flow into and out of `node`.
    pub fn flows_of(&self, node: usize) -> Vec<(usize, usize)> {
        (0..self.n).filter(|k| *k != node).flat_map(|k| [(node, k), (k, node)]).collect()
    }

    /// Every flow out of `node` (what it says).
    pub fn flows_from(&self, node: usize) -> Vec<(usize, usize)> {
        (0..self.n).filter(|k| *k != node).map(|k| (node, k)).collect()
    }

    /// Every flow into `node` (what it hears).
    pub fn flows_to(&self, node: usize) -> Vec<(usize, usize)> {
        (0..self.n).filter(|k| *k != node).map(|k| (k, node)).collect()
    }
}

/// Most tries to find a free port outside the ones to avoid.
const BIND_TRIES_MAX: usize = 64;

/// A listener on a free port of 127.0.0.1 that is not in `avoid`. Ports the OS offers
/// from `avoid` are held until the end, so it does not offer them again.
fn bind_avoiding(avoid: &[u16]) -> std::io::Result<std::net::TcpListener> {
    let mut held = Vec::new();
    for _ in 0..BIND_TRIES_MAX {
        let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        if avoid.contains(&l.local_addr()?.port()) {
            held.push(l);
            continue;
        }
        return Ok(l);
    }
    Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "no free port outside the testnet's ports"))
}

impl Drop for Mesh {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    link: (usize, usize),
    to: SocketAddr,
    rules: watch::Receiver<Rules>,
) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let rules = rules.clone();
        tokio::spawn(serve(inbound, link, to, rules));
    }
}

/// One proxied connection on `link`, until either side closes or the link is reset.
async fn serve(
    inbound: TcpStream,
    (i, j): (usize, usize),
    to: SocketAddr,
    mut rules: watch::Receiver<Rules>,
) {
    let (refused, epoch) = {
        let r = rules.borrow_and_update();
        (r.refuses(i, j), r.reset_count(i, j))
    };
    if refused {
        let _ = inbound.set_zero_linger();
        return;
    }
    let Ok(outbound) = TcpStream::connect(to).await else { return };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    // Closed by a reset, the sockets send RST; closed normally they never linger either.
    let _ = inbound.set_zero_linger();
    let _ = outbound.set_zero_linger();
    let (in_read, in_write) = inbound.into_split();
    let (out_read, out_write) = outbound.into_split();
    let forward = pipe(in_read, out_write, (i, j), rules.clone());
    let backward = pipe(out_read, in_write, (j, i), rules.clone());
    let reset = async {
        loop {
            if rules.changed().await.is_err() {
                return;
            }
            if rules.borrow_and_update().reset_count(i, j) != epoch {
                return;
            }
        }
    };
    tokio::select! {
        _ = async { tokio::join!(forward, backward) } => {}
        () = reset => {}
    }
}

/// Copy one direction of a connection, following the rules of `flow`.
async fn pipe(
    mut read: tokio::net::tcp::OwnedReadHalf,
    mut write: tokio::net::tcp::OwnedWriteHalf,
    flow: (usize, usize),
    rules: watch::Receiver<Rules>,
) {
    let (tx, mut rx) = mpsc::channel::<(tokio::time::Instant, Vec<u8>)>(CHUNKS_IN_FLIGHT_MAX);
    let mut reader_rules = rules;
    let reader = async move {
        let mut buf = vec![0u8; CHUNK_BYTES];
        loop {
            let n = match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            // A blocked flow holds the chunk in hand and reads no more: the sender's
            // window fills and its bytes wait, as behind a partition.
            loop {
                if !reader_rules.borrow_and_update().is_blocked(flow.0, flow.1) {
                    break;
                }
                if reader_rules.changed().await.is_err() {
                    return;
                }
            }
            let due = tokio::time::Instant::now() + reader_rules.borrow().delay(flow.0, flow.1);
            if tx.send((due, buf.get(..n).unwrap_or_default().to_vec())).await.is_err() {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = write.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};
    use std::time::Instant;

    /// An echo server on a free port, for `Mesh` to forward to.
    fn echo() -> u16 {
        let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = l.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        port
    }

    fn connect(mesh: &Mesh, i: usize, j: usize) -> std::net::TcpStream {
        let port = mesh.port(i, j).expect("port");
        let s = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_millis(700))).expect("timeout");
        s
    }

    fn round_trip(s: &mut std::net::TcpStream, msg: &[u8]) -> Option<Vec<u8>> {
        s.write_all(msg).ok()?;
        let mut buf = vec![0u8; msg.len()];
        s.read_exact(&mut buf).ok()?;
        Some(buf)
    }

    #[test]
    fn passes_blocks_delays_and_resets() {
        let a = echo();
        let b = echo();
        let mesh = Mesh::start(&[a, b], &[a, b], &[a, b]).expect("mesh");
        assert_eq!(mesh.flows_of(0), vec![(0, 1), (1, 0)]);
        let mut s = connect(&mesh, 0, 1);
        assert_eq!(round_trip(&mut s, b"ping").as_deref(), Some(&b"ping"[..]));

        // Node 1 not heard by node 0: the echo does not come back, and comes back once healed.
        mesh.block(&[(1, 0)], true);
        assert_eq!(round_trip(&mut s, b"lost"), None);
        mesh.block(&[(1, 0)], false);
        let mut buf = [0u8; 4];
        s.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
        s.read_exact(&mut buf).expect("held bytes arrive after healing");
        assert_eq!(&buf, b"lost");

        // Delay both ways by 150 ms: a round trip takes at least 300 ms.
        mesh.delay(&mesh.flows_of(0), 150);
        let t = Instant::now();
        assert_eq!(round_trip(&mut s, b"slow").as_deref(), Some(&b"slow"[..]));
        assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
        mesh.heal();

        // Reset closes the live connection.
        mesh.reset(&[(0, 1)]);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(round_trip(&mut s, b"gone"), None);

        // Both ways blocked: new connections are closed at once.
        mesh.block(&mesh.flows_of(1), true);
        let mut t = connect(&mesh, 0, 1);
        assert_eq!(round_trip(&mut t, b"nope"), None);
        // The forwarding (HTTP) proxies obey the same rules.
        let port = mesh.http_port(0, 1).expect("http proxy");
        assert_ne!(Some(port), mesh.port(0, 1));
        let mut h = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        h.set_read_timeout(Some(Duration::from_millis(700))).expect("timeout");
        assert_eq!(round_trip(&mut h, b"nope"), None);
        mesh.heal();
        let mut u = connect(&mesh, 1, 0);
        assert_eq!(round_trip(&mut u, b"back").as_deref(), Some(&b"back"[..]));
    }
}
