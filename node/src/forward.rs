//! Own the passing of submitted documents to the other nodes, so that each document
//! reaches whichever validator proposes next.
//!
//! Each peer has a bounded queue and a task that sends whatever has gathered in it as one
//! batch: `POST /v1/peer/entries`, the documents' canonical bytes one per line (RFC 8785
//! output never holds a raw line feed, and every queued document was decoded, so was
//! canonical). Under load a peer receives one request per batch instead of one per
//! document; when idle a batch is the one document, sent at once. Best effort, as the
//! per-document forward was: a full queue drops, a failed send is logged, and a document
//! a peer misses reaches it in a block.

use axum::body::Bytes;
use tokio::sync::mpsc;
use tracing::debug;

use crate::http::PeerClient;

/// The peers' route for a batch of forwarded documents.
pub const PATH: &str = "/v1/peer/entries";

/// Documents gathered into one batch at most.
pub const BATCH_DOCUMENTS_MAX: usize = 1024;

/// A batch stops gathering at this many bytes (it may end one document past it).
pub const BATCH_BYTES_TARGET: usize = 1 << 20;

/// The largest batch body a node accepts.
pub const BATCH_BODY_MAX: usize =
    BATCH_BYTES_TARGET + vouch_core::limits::ENVELOPE_BYTES_MAX + BATCH_DOCUMENTS_MAX;

/// Documents queued per peer before new ones are dropped (a peer that is down or slow).
const QUEUE: usize = 16 * 1024;

/// Queues to every peer.
#[derive(Debug, Default)]
pub struct Forwarder {
    queues: Vec<mpsc::Sender<Bytes>>,
}

impl Forwarder {
    /// Start one sending task per peer in `peers` (HTTP base URLs). Needs a Tokio runtime.
    pub fn start(peers: &[String], client: &PeerClient) -> Forwarder {
        let queues = peers
            .iter()
            .map(|peer| {
                let (tx, rx) = mpsc::channel(QUEUE);
                let url = format!("{}{PATH}", peer.trim_end_matches('/'));
                tokio::spawn(send_batches(url, client.clone(), rx));
                tx
            })
            .collect();
        Forwarder { queues }
    }

    /// Queue `document` (canonical bytes, already admitted here) for every peer.
    pub fn send(&self, document: &Bytes) {
        for q in &self.queues {
            if q.try_send(document.clone()).is_err() {
                debug!("a peer's forward queue is full; it will get the document in a block");
            }
        }
    }
}

async fn send_batches(url: String, client: PeerClient, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(first) = rx.recv().await {
        let mut body = first.to_vec();
        let mut count = 1;
        while count < BATCH_DOCUMENTS_MAX && body.len() < BATCH_BYTES_TARGET {
            let Ok(next) = rx.try_recv() else { break };
            body.push(b'\n');
            body.extend_from_slice(&next);
            count += 1;
        }
        if let Err(e) = client.post(&url, crate::http::FORWARDED, Bytes::from(body)).await {
            debug!(%url, documents = count, error = %e, "forwarding a batch to a peer failed");
        }
    }
}

/// The documents of a batch body: its lines, empty ones skipped.
pub fn split(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == b'\n').filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_splits_back_into_its_documents() {
        let docs: [&[u8]; 3] = [br#"{"a":1}"#, br#"{"b":"x\ny"}"#, br#"{}"#];
        let body = docs.join(&b'\n');
        assert_eq!(split(&body).collect::<Vec<_>>(), docs.to_vec());
        assert_eq!(split(b"\n\n{}\n").collect::<Vec<_>>(), vec![b"{}".as_slice()]);
        assert_eq!(split(b"").count(), 0);
    }

    #[tokio::test]
    async fn queued_documents_reach_the_peer_in_batches() {
        use std::sync::{Arc, Mutex};
        let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let seen = received.clone();
        let app = axum::Router::new().route(
            PATH,
            axum::routing::post(move |body: Bytes| {
                let seen = seen.clone();
                async move {
                    seen.lock().expect("lock").push(body.to_vec());
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let forwarder = Forwarder::start(&[format!("http://{addr}/")], &PeerClient::new());
        let docs: Vec<Bytes> = (0..300).map(|i| Bytes::from(format!("{{\"n\":{i}}}"))).collect();
        for d in &docs {
            forwarder.send(d);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got: Vec<Vec<u8>> = received
                .lock()
                .expect("lock")
                .iter()
                .flat_map(|b| split(b).map(<[u8]>::to_vec).collect::<Vec<_>>())
                .collect();
            if got.len() == docs.len() {
                let want: Vec<Vec<u8>> = docs.iter().map(|d| d.to_vec()).collect();
                assert_eq!(got, want, "every document once, in order");
                let batches = received.lock().expect("lock").len();
                assert!(batches < docs.len(), "{batches} requests for {} documents", docs.len());
                return;
            }
            assert!(std::time::Instant::now() < deadline, "only {} of {} arrived", got.len(), docs.len());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
