//! gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) on hyper's HTTP/2 client, which is the
//! `h2` crate underneath: the transport tonic, and so arrow-rs's Flight client, runs on.
//! Messages are framed as a compressed flag (0), a big-endian u32 length and the protobuf bytes.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::future::poll_fn;
use hyper::body::HttpBody;
use hyper::client::conn::{Builder, SendRequest};
use hyper::{Body, Request};
use std::fmt;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

const SERVICE: &str = "arrow.flight.protocol.FlightService";

/// The largest message accepted (a canonical block may exceed tonic's 4 MiB default).
const MAX_MESSAGE: usize = 256 << 20;

/// gRPC status codes used in checks.
pub const OK: u32 = 0;
pub const INVALID_ARGUMENT: u32 = 3;
pub const NOT_FOUND: u32 = 5;

/// Why a call failed: a gRPC status from the server, or anything else (transport, framing).
#[derive(Debug)]
pub enum CallError {
    Status { code: u32, message: String },
    Other(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Status { code, message } => write!(f, "grpc-status {code}: {message}"),
            CallError::Other(why) => f.write_str(why),
        }
    }
}

impl From<String> for CallError {
    fn from(why: String) -> Self {
        CallError::Other(why)
    }
}

/// HTTP/2 settings this end announces: hyper's defaults (what tonic uses unconfigured) or the
/// RFC 9113 initial 65,535-byte windows, which make a large message wait on many WINDOW_UPDATEs.
#[derive(Clone, Copy, Debug)]
pub enum Windows {
    HyperDefault,
    Rfc9113Initial,
}

/// One HTTP/2 connection; calls on it are multiplexed as streams. hyper's `SendRequest` takes
/// one request at a time (tonic puts a tower buffer in front of it); a lock does that here.
#[derive(Clone)]
pub struct Channel {
    send: Arc<Mutex<SendRequest<Body>>>,
    authority: String,
    connection: Arc<Mutex<Option<JoinHandle<hyper::Result<()>>>>>,
}

impl Channel {
    /// Connects to `host:port` and starts HTTP/2 on it (hyper sends the preface and SETTINGS).
    pub async fn connect(authority: &str, windows: Windows) -> Result<Channel, String> {
        let socket = TcpStream::connect(authority).await.map_err(|e| format!("connect {authority}: {e}"))?;
        socket.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut builder = Builder::new();
        builder.http2_only(true);
        if let Windows::Rfc9113Initial = windows {
            builder.http2_initial_stream_window_size(65_535).http2_initial_connection_window_size(65_535);
        }
        let (send, connection) =
            builder.handshake::<_, Body>(socket).await.map_err(|e| format!("HTTP/2 handshake with {authority}: {e}"))?;
        let connection = tokio::spawn(connection);
        Ok(Channel {
            send: Arc::new(Mutex::new(send)),
            authority: authority.to_string(),
            connection: Arc::new(Mutex::new(Some(connection))),
        })
    }

    /// Waits until the connection has ended: Ok when it closed without error, else hyper's error.
    pub async fn closed(&self) -> Result<(), String> {
        let task = self.connection.lock().await.take().ok_or("already waited for")?;
        match task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the connection failed: {e}")),
            Err(e) => Err(format!("connection task: {e}")),
        }
    }

    /// Starts a call whose request messages go through the returned `RequestStream`.
    pub async fn start(&self, method: &str) -> Result<(RequestStream, ResponseFuture), CallError> {
        let (sender, body) = Body::channel();
        let response = self.send(method, body).await?;
        Ok((RequestStream { sender }, response))
    }

    /// A call with exactly one request message.
    pub async fn call<M: prost::Message>(&self, method: &str, request: &M) -> Result<Call, CallError> {
        self.send(method, Body::from(frame(request))).await?.await_headers().await
    }

    async fn send(&self, method: &str, body: Body) -> Result<ResponseFuture, CallError> {
        let request = Request::builder()
            .method("POST")
            .uri(format!("http://{}/{SERVICE}/{method}", self.authority))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("user-agent", "arrowcid-h2-peer (hyper 0.14 / h2 0.3)")
            .body(body)
            .map_err(|e| format!("{method}: request: {e}"))?;
        let mut send = self.send.lock().await;
        poll_fn(|cx| send.poll_ready(cx)).await.map_err(|e| format!("{method}: connection not ready: {e}"))?;
        Ok(ResponseFuture { inner: send.send_request(request), method: method.to_string() })
    }
}

/// The response headers of a call that is under way.
pub struct ResponseFuture {
    inner: hyper::client::conn::ResponseFuture,
    method: String,
}

impl ResponseFuture {
    /// Waits for the response headers and checks them; a trailers-only response (an error status
    /// before any message) is turned into its status when its messages are read.
    pub async fn await_headers(self) -> Result<Call, CallError> {
        let method = self.method;
        let response = self.inner.await.map_err(|e| format!("{method}: {e}"))?;
        if response.status() != hyper::StatusCode::OK {
            return Err(CallError::Other(format!("{method}: HTTP status {}", response.status())));
        }
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        if !content_type.starts_with("application/grpc") {
            return Err(CallError::Other(format!("{method}: content-type '{content_type}'")));
        }
        let headers_status = status_of(response.headers());
        Ok(Call { method, body: response.into_body(), buffer: BytesMut::new(), headers_status })
    }
}

/// The request side of a streaming call; dropping it ends the request stream (END_STREAM).
pub struct RequestStream {
    sender: hyper::body::Sender,
}

impl RequestStream {
    pub async fn send<M: prost::Message>(&mut self, message: &M) -> Result<(), String> {
        self.sender.send_data(frame(message)).await.map_err(|e| format!("sending a request message: {e}"))
    }
}

/// The response side of a call: messages, then the status from the trailers.
pub struct Call {
    method: String,
    body: Body,
    buffer: BytesMut,
    headers_status: Option<(u32, String)>,
}

impl Call {
    /// The next response message, or None after the last one when the call ended with OK.
    pub async fn next<M: prost::Message + Default>(&mut self) -> Result<Option<M>, CallError> {
        loop {
            if let Some(message) = self.take_message()? {
                return M::decode(message)
                    .map(Some)
                    .map_err(|e| CallError::Other(format!("{}: undecodable response message: {e}", self.method)));
            }
            match self.read_chunk().await? {
                Some(chunk) => self.buffer.put(chunk),
                None => return self.finish().await.map(|()| None),
            }
        }
    }

    /// Every remaining response message.
    pub async fn collect<M: prost::Message + Default>(&mut self) -> Result<Vec<M>, CallError> {
        let mut all = Vec::new();
        while let Some(message) = self.next().await? {
            all.push(message);
        }
        Ok(all)
    }

    /// Reads response bytes until at least `bytes` have arrived (or the body ends), without
    /// decoding them: to cancel a call in the middle of a message.
    pub async fn read_at_least(&mut self, bytes: usize) -> Result<usize, CallError> {
        while self.buffer.len() < bytes {
            match self.read_chunk().await? {
                Some(chunk) => self.buffer.put(chunk),
                None => break,
            }
        }
        Ok(self.buffer.len())
    }

    /// The next piece of the response body; None at its end. A Trailers-Only response (grpc-status
    /// in the headers, which end the stream) has no body and is not read, as tonic does. A reset
    /// with NO_ERROR ends the body: a server sends it after a complete response to stop the
    /// request stream, and RFC 9113 §8.1 says the client must not discard the response for it
    /// (hyper 0.14 reports it as an error; later hyper versions do not). Should the response be
    /// incomplete, the missing grpc-status still fails the call.
    async fn read_chunk(&mut self) -> Result<Option<Bytes>, CallError> {
        if self.headers_status.is_some() {
            return Ok(None);
        }
        match self.body.data().await {
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(e)) if reset_with_no_error(&e) => Ok(None),
            Some(Err(e)) => Err(CallError::Other(format!("{}: response body: {e}", self.method))),
            None => Ok(None),
        }
    }

    fn take_message(&mut self) -> Result<Option<Bytes>, CallError> {
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        if self.buffer[0] != 0 {
            return Err(CallError::Other(format!("{}: compressed flag {} without grpc-encoding", self.method, self.buffer[0])));
        }
        let length = u32::from_be_bytes([self.buffer[1], self.buffer[2], self.buffer[3], self.buffer[4]]) as usize;
        if length > MAX_MESSAGE {
            return Err(CallError::Other(format!("{}: message of {length} bytes over the {MAX_MESSAGE} limit", self.method)));
        }
        if self.buffer.len() < 5 + length {
            self.buffer.reserve(5 + length - self.buffer.len());
            return Ok(None);
        }
        self.buffer.advance(5);
        Ok(Some(self.buffer.split_to(length).freeze()))
    }

    async fn finish(&mut self) -> Result<(), CallError> {
        if !self.buffer.is_empty() {
            return Err(CallError::Other(format!(
                "{}: body ended inside a message ({} bytes left)",
                self.method,
                self.buffer.len()
            )));
        }
        let status = match self.headers_status.take() {
            Some(status) => Some(status),
            None => match self.body.trailers().await {
                Ok(trailers) => trailers.as_ref().and_then(status_of),
                Err(e) if reset_with_no_error(&e) => None,
                Err(e) => return Err(CallError::Other(format!("{}: trailers: {e}", self.method))),
            },
        };
        match status {
            Some((OK, _)) => Ok(()),
            Some((code, message)) => Err(CallError::Status { code, message }),
            None => Err(CallError::Other(format!("{}: the response ended without grpc-status", self.method))),
        }
    }
}

/// Whether hyper's error is the peer resetting the stream with NO_ERROR.
fn reset_with_no_error(error: &hyper::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|cause| cause.downcast_ref::<h2::Error>())
        .map_or(false, |e| e.is_remote() && !e.is_go_away() && e.reason() == Some(h2::Reason::NO_ERROR))
}

fn status_of(headers: &http::HeaderMap) -> Option<(u32, String)> {
    let code = headers.get("grpc-status")?.to_str().ok()?.parse().ok()?;
    let message = headers.get("grpc-message").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    Some((code, percent_decode(&message)))
}

/// grpc-message is percent-encoded UTF-8.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn frame<M: prost::Message>(message: &M) -> Bytes {
    let length = message.encoded_len();
    let mut out = BytesMut::with_capacity(5 + length);
    out.put_u8(0);
    out.put_u32(length as u32);
    message.encode(&mut out).expect("the buffer was sized for the message");
    out.freeze()
}
