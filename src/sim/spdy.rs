//! The server side of `kubectl port-forward`'s SPDY/3.1 session, run on a connection the
//! simulator has already upgraded (plain `Upgrade: SPDY/3.1`, or tunnelled in WebSocket binary
//! messages under the subprotocol `SPDY/3.1+portforward.k8s.io`).
//!
//! What kubectl (client-go's port-forward over moby/spdystream) does, and so what this serves:
//! - Per local connection it opens an error stream, then a data stream, each a SYN_STREAM with
//!   the headers `streamtype` (`error` | `data`), `port` and `requestid` (spdystream writes names
//!   in lower case), and waits for a SYN_REPLY on each; the kubelet replies with no headers.
//! - It half-closes with an empty DATA frame flagged FIN (at once on the error stream), resets
//!   the data stream (RST_STREAM) when done with it unless it already sent FIN, and then reads
//!   the error stream to its end: every connection's error stream must be finished. A failure
//!   is reported as text on the error stream.
//! - spdystream has no flow control: it never sends WINDOW_UPDATE and ignores ours. We send
//!   them for what we consume (a conforming peer would need them) and do not honour the
//!   client's windows, which would stall after 64 KiB since it never opens them.
//! - Header blocks are zlib with the SPDY/3 dictionary, one stream per direction for the whole
//!   session, each block ending in a sync flush.
//! - In the WebSocket tunnel every binary message is a piece of the same SPDY byte stream with
//!   no prefix or channel byte; message boundaries mean nothing; a close ends the stream.

use bytes::{Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use futures::{SinkExt, StreamExt, future};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::time::Duration;
use tokio::io::{
    AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// What a forwarded port connects to: given the remote port, the simulator returns one end of an in-memory
/// duplex pipe whose other end it serves, or a message saying why the port cannot be reached (which goes to
/// the client on the stream's error stream, as the kubelet does).
pub type PortOpener =
    std::sync::Arc<dyn Fn(u16) -> Result<tokio::io::DuplexStream, String> + Send + Sync>;

/// Serves kubectl's port-forward protocol over SPDY/3.1 on an already-upgraded byte stream until the client goes away.
pub async fn serve<IO>(io: IO, open: PortOpener)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (reader, writer) = tokio::io::split(io);
    run_session(reader, RawSink(writer), open).await;
}

/// The same, for the SPDY byte stream tunnelled in a WebSocket's binary messages (kubectl >= 1.31's default).
pub async fn serve_tunnel<S>(ws: tokio_tungstenite::WebSocketStream<S>, open: PortOpener)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, messages) = ws.split();
    // A close ends the byte stream; kubectl's tunnel rejects anything but binary messages, and
    // so do we. Pings are answered by tungstenite itself.
    let bytes = messages
        .take_while(|msg| future::ready(!matches!(msg, Ok(Message::Close(_)))))
        .filter_map(|msg| {
            future::ready(match msg {
                Ok(Message::Binary(data)) => Some(Ok(data)),
                Ok(Message::Text(_)) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "text message in a SPDY tunnel",
                ))),
                Ok(_) => None,
                Err(e) => Some(Err(io::Error::other(e))),
            })
        });
    run_session(tokio_util::io::StreamReader::new(bytes), WsSink(sink), open).await;
}

/// The SPDY/3 header-compression dictionary (the spec's constant; its Adler-32 is `DICTIONARY_ID`).
const DICTIONARY: &[u8] =
    b"\0\0\0\x07options\0\0\0\x04head\0\0\0\x04post\0\0\0\x03put\0\0\0\x06delete\
\0\0\0\x05trace\0\0\0\x06accept\0\0\0\x0eaccept-charset\0\0\0\x0faccept-encoding\
\0\0\0\x0faccept-language\0\0\0\x0daccept-ranges\0\0\0\x03age\0\0\0\x05allow\
\0\0\0\x0dauthorization\0\0\0\x0dcache-control\0\0\0\x0aconnection\0\0\0\x0ccontent-base\
\0\0\0\x10content-encoding\0\0\0\x10content-language\0\0\0\x0econtent-length\
\0\0\0\x10content-location\0\0\0\x0bcontent-md5\0\0\0\x0dcontent-range\0\0\0\x0ccontent-type\
\0\0\0\x04date\0\0\0\x04etag\0\0\0\x06expect\0\0\0\x07expires\0\0\0\x04from\0\0\0\x04host\
\0\0\0\x08if-match\0\0\0\x11if-modified-since\0\0\0\x0dif-none-match\0\0\0\x08if-range\
\0\0\0\x13if-unmodified-since\0\0\0\x0dlast-modified\0\0\0\x08location\0\0\0\x0cmax-forwards\
\0\0\0\x06pragma\0\0\0\x12proxy-authenticate\0\0\0\x13proxy-authorization\0\0\0\x05range\
\0\0\0\x07referer\0\0\0\x0bretry-after\0\0\0\x06server\0\0\0\x02te\0\0\0\x07trailer\
\0\0\0\x11transfer-encoding\0\0\0\x07upgrade\0\0\0\x0auser-agent\0\0\0\x04vary\0\0\0\x03via\
\0\0\0\x07warning\0\0\0\x10www-authenticate\0\0\0\x06method\0\0\0\x03get\0\0\0\x06status\
\0\0\0\x06200 OK\0\0\0\x07version\0\0\0\x08HTTP/1.1\0\0\0\x03url\0\0\0\x06public\
\0\0\0\x0aset-cookie\0\0\0\x0akeep-alive\0\0\0\x06origin\
100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505\
203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request\
401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented\
503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue,\x20\
Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,\
application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch\
charset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
const DICTIONARY_ID: u32 = 0xe3c6_a7c2;

const SPDY_VERSION: u16 = 3;
const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;
const WINDOW_UPDATE: u16 = 9;
const FLAG_FIN: u8 = 0x01;
const RST_PROTOCOL_ERROR: u32 = 1;
const RST_REFUSED_STREAM: u32 = 3;
const RST_INTERNAL_ERROR: u32 = 6;
const GOAWAY_PROTOCOL_ERROR: u32 = 1;

/// Port-forward header blocks are a few dozen bytes; anything near these is not kubectl.
const MAX_CONTROL_PAYLOAD: usize = 64 * 1024;
const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Streams (pending error streams plus live data streams) one session may hold.
const MAX_STREAMS: usize = 4096;
/// Largest DATA payload we send, and largest piece handed to a stream's task.
const CHUNK: usize = 32 * 1024;
/// Per stream, client→pod pieces buffered before the reader waits: spdystream ignores windows,
/// so this bound (like the kubelet's blocking reads) is what paces a fast client to a slow pod.
const INBOUND_PIECES: usize = 32;
const OUTBOUND_QUEUE: usize = 256;
/// Credit is returned once half the spec's initial 64 KiB window has been consumed.
const WINDOW_UPDATE_AT: u32 = 32 * 1024;
/// Frames coalesced into one write (or one WebSocket message).
const MAX_BATCH: usize = 256 * 1024;
/// How long a finished session waits for its last frames (a GOAWAY) to reach the client.
const FLUSH_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("connection: {0}")]
    Io(#[from] io::Error),
    #[error("protocol: {0}")]
    Protocol(&'static str),
    #[error("header compression: {0}")]
    Compression(String),
}

/// One frame as read, its payload without the 8-byte frame header.
enum Frame {
    Control {
        kind: u16,
        flags: u8,
        payload: Bytes,
    },
    Data {
        stream_id: u32,
        flags: u8,
        payload: Bytes,
    },
}

/// What the session queues for the writer task: encoded frames, or a SYN_REPLY, which only the
/// writer can encode since it owns the header compressor (whose stream order is wire order).
enum Outgoing {
    Reply(u32),
    Frame(Vec<u8>),
}

fn frame_length(flags: u8, len: usize) -> [u8; 4] {
    (u32::from(flags) << 24 | (len as u32 & 0x00ff_ffff)).to_be_bytes()
}

fn control_frame(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(8 + payload.len());
    frame.extend_from_slice(&(0x8000_u16 | SPDY_VERSION).to_be_bytes());
    frame.extend_from_slice(&kind.to_be_bytes());
    frame.extend_from_slice(&frame_length(flags, payload.len()));
    frame.extend_from_slice(payload);
    frame
}

/// RST_STREAM, PING, WINDOW_UPDATE and GOAWAY: payloads of 32-bit words.
fn control(kind: u16, words: &[u32]) -> Outgoing {
    let payload: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    Outgoing::Frame(control_frame(kind, 0, &payload))
}

fn data(stream_id: u32, payload: &[u8], fin: bool) -> Outgoing {
    let mut frame = Vec::with_capacity(8 + payload.len());
    frame.extend_from_slice(&(stream_id & 0x7fff_ffff).to_be_bytes());
    frame.extend_from_slice(&frame_length(if fin { FLAG_FIN } else { 0 }, payload.len()));
    frame.extend_from_slice(payload);
    Outgoing::Frame(frame)
}

/// Big-endian u32 at `at`, or 0 past the end (callers check lengths first).
fn be32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Reads whole frames; cancel-safe (all state is in `buf`), so it can sit in a `select!`.
struct FrameReader<R> {
    io: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    fn new(io: R) -> Self {
        Self {
            io,
            buf: BytesMut::with_capacity(64 * 1024),
        }
    }

    /// The next frame, or `None` at a clean end of input.
    async fn next_frame(&mut self) -> Result<Option<Frame>, SessionError> {
        loop {
            if let Some(frame) = self.parse()? {
                return Ok(Some(frame));
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(64 * 1024);
            }
            if self.io.read_buf(&mut self.buf).await? == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(SessionError::Protocol("truncated frame"));
            }
        }
    }

    fn parse(&mut self) -> Result<Option<Frame>, SessionError> {
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let (first, flags) = (be32(&self.buf, 0), self.buf[4]);
        let len = (be32(&self.buf, 4) & 0x00ff_ffff) as usize;
        let control = first & 0x8000_0000 != 0;
        if control && len > MAX_CONTROL_PAYLOAD {
            return Err(SessionError::Protocol("oversized control frame"));
        }
        if self.buf.len() < 8 + len {
            self.buf.reserve(8 + len - self.buf.len());
            return Ok(None);
        }
        let payload = self.buf.split_to(8 + len).freeze().slice(8..);
        if !control {
            let stream_id = first & 0x7fff_ffff;
            return Ok(Some(Frame::Data {
                stream_id,
                flags,
                payload,
            }));
        }
        if (first >> 16) & 0x7fff != u32::from(SPDY_VERSION) {
            return Err(SessionError::Protocol("unsupported SPDY version"));
        }
        let kind = (first & 0xffff) as u16;
        Ok(Some(Frame::Control {
            kind,
            flags,
            payload,
        }))
    }
}

/// Decompresses the client's header blocks (one zlib stream for the whole session).
struct HeaderInflater(Decompress);

impl HeaderInflater {
    fn new() -> Self {
        Self(Decompress::new(true))
    }

    fn inflate(&mut self, block: &[u8]) -> Result<Vec<u8>, SessionError> {
        let mut out = Vec::with_capacity(256);
        let mut used = 0;
        loop {
            if out.len() == out.capacity() {
                if out.len() >= MAX_HEADER_BLOCK {
                    return Err(SessionError::Protocol("header block too large"));
                }
                out.reserve(out.len());
            }
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let rest = block.get(used..).unwrap_or_default();
            let result = self.0.decompress_vec(rest, &mut out, FlushDecompress::Sync);
            used += (self.0.total_in() - in_before) as usize;
            let stuck = self.0.total_in() == in_before && self.0.total_out() == out_before;
            match result {
                Ok(Status::StreamEnd) => return Err(SessionError::Protocol("header stream ended")),
                Ok(_) if used >= block.len() && out.len() < out.capacity() => return Ok(out),
                Ok(_) if stuck => return Err(SessionError::Protocol("truncated header block")),
                Ok(_) => {}
                // Go's zlib writer names the dictionary (FDICT) in the stream header.
                Err(e) if e.needs_dictionary() == Some(DICTIONARY_ID) => {
                    let set = self.0.set_dictionary(DICTIONARY);
                    set.map_err(|e| SessionError::Compression(e.to_string()))?;
                }
                Err(e) => return Err(SessionError::Compression(e.to_string())),
            }
        }
    }
}

/// Compresses our header blocks. With the dictionary set, the stream names it (FDICT), as the
/// spec has it; Go's reader would take a stream without one too.
struct HeaderDeflater(Compress);

impl HeaderDeflater {
    fn new() -> Self {
        let mut z = Compress::new(Compression::default(), true);
        // Cannot fail on a fresh stream; if it did, the blocks are still readable (no FDICT).
        let _ = z.set_dictionary(DICTIONARY);
        Self(z)
    }

    fn deflate(&mut self, raw: &[u8]) -> Result<Vec<u8>, SessionError> {
        let mut out = Vec::with_capacity(raw.len() + 64);
        let mut used = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.len().max(64));
            }
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let rest = raw.get(used..).unwrap_or_default();
            let result = self.0.compress_vec(rest, &mut out, FlushCompress::Sync);
            result.map_err(|e| SessionError::Compression(e.to_string()))?;
            used += (self.0.total_in() - in_before) as usize;
            // A sync flush is complete once deflate leaves output space unused.
            if used >= raw.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            if self.0.total_in() == in_before && self.0.total_out() == out_before {
                return Err(SessionError::Compression("deflate made no progress".into()));
            }
        }
    }
}

/// Reads a header block's length-prefixed fields, never past its end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = tail;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| be32(b, 0))
    }
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// The name/value pairs of a decompressed header block (SPDY/3: 32-bit count and lengths),
/// keeping the first of several NUL-separated values.
fn header_values(block: &[u8]) -> Result<Vec<(String, String)>, SessionError> {
    let malformed = || SessionError::Protocol("malformed header block");
    let mut cursor = Cursor(block);
    let count = cursor.u32().ok_or_else(malformed)?;
    let mut headers = Vec::new();
    for _ in 0..count {
        let (Some(name), Some(value)) = (cursor.field(), cursor.field()) else {
            return Err(malformed());
        };
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let first = value.split(|b| *b == 0).next().unwrap_or_default();
        headers.push((name, String::from_utf8_lossy(first).into_owned()));
    }
    Ok(headers)
}

/// Where the writer task puts encoded frames: the raw connection, or WebSocket messages.
trait FrameSink: Send + 'static {
    fn send(&mut self, bytes: Vec<u8>) -> impl Future<Output = io::Result<()>> + Send;
    fn close(&mut self) -> impl Future<Output = ()> + Send;
}

struct RawSink<IO>(WriteHalf<IO>);

impl<IO: AsyncRead + AsyncWrite + Send + 'static> FrameSink for RawSink<IO> {
    async fn send(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        self.0.write_all(&bytes).await?;
        self.0.flush().await
    }
    async fn close(&mut self) {
        let _ = self.0.shutdown().await;
    }
}

struct WsSink<S>(futures::stream::SplitSink<WebSocketStream<S>, Message>);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> FrameSink for WsSink<S> {
    async fn send(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        let sent = self.0.send(Message::Binary(bytes.into())).await;
        sent.map_err(io::Error::other)
    }
    async fn close(&mut self) {
        let _ = self.0.close().await;
    }
}

/// Owns the output: coalesces queued frames into few writes, in queue order.
async fn write_loop<W: FrameSink>(mut sink: W, mut queue: mpsc::Receiver<Outgoing>) {
    let mut deflater = HeaderDeflater::new();
    let mut batch = Vec::new();
    let result: Result<(), SessionError> = async {
        while let Some(mut next) = queue.recv().await {
            loop {
                match next {
                    Outgoing::Frame(frame) if batch.is_empty() => batch = frame,
                    Outgoing::Frame(frame) => batch.extend_from_slice(&frame),
                    Outgoing::Reply(stream_id) => {
                        // A header block goes out in a write of its own. spdystream reads it
                        // through a buffer limited to the block and rejects the frame if the
                        // limit is not used up: a block split across reads can fail.
                        if !batch.is_empty() {
                            sink.send(std::mem::take(&mut batch)).await?;
                        }
                        let mut payload = stream_id.to_be_bytes().to_vec();
                        payload.extend(deflater.deflate(&0u32.to_be_bytes())?);
                        sink.send(control_frame(SYN_REPLY, 0, &payload)).await?;
                    }
                }
                match queue.try_recv() {
                    Ok(more) if batch.len() < MAX_BATCH => next = more,
                    Ok(more) => {
                        sink.send(std::mem::take(&mut batch)).await?;
                        next = more;
                    }
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                sink.send(std::mem::take(&mut batch)).await?;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::debug!("port-forward session: writer stopped: {e}");
    }
    sink.close().await;
}

/// Aborts the writer if the session future is dropped (its pod went away) mid-flight.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_session<R, W>(reader: R, sink: W, open: PortOpener)
where
    R: AsyncRead + Unpin + Send,
    W: FrameSink,
{
    let (out, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let mut writer = AbortOnDrop(tokio::spawn(write_loop(sink, queue)));
    let mut session = Session::new(open, out);
    let mut frames = FrameReader::new(reader);
    let outcome = loop {
        let next = tokio::select! {
            next = frames.next_frame() => next,
            // The writer stopped: the client cannot be reached any more.
            () = session.out.closed() => break Ok(()),
        };
        let handled = match next {
            Ok(Some(frame)) => session.handle(frame).await,
            Ok(None) => break Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = handled {
            break Err(e);
        }
        session.reap_finished();
    };
    if let Err(e) = outcome {
        tracing::debug!("port-forward session ended: {e}");
        if matches!(e, SessionError::Protocol(_) | SessionError::Compression(_)) {
            let words = [session.last_stream_id, GOAWAY_PROTOCOL_ERROR];
            let _ = session.out.try_send(control(GOAWAY, &words));
        }
    }
    session.tasks.shutdown().await;
    drop(session);
    // The writer ends once every sender is gone; bounded, in case the client stopped reading.
    let _ = tokio::time::timeout(FLUSH_GRACE, &mut writer.0).await;
}

/// A data stream the reader routes the client's DATA to.
struct DataStream {
    /// `None` once the client finished sending or the pod side stopped taking data.
    inbound: Option<mpsc::Sender<Bytes>>,
    /// Dropping this (client reset, session end) stops the stream's task.
    _cancel: oneshot::Sender<()>,
}

struct Session {
    open: PortOpener,
    out: mpsc::Sender<Outgoing>,
    inflater: HeaderInflater,
    data_streams: HashMap<u32, DataStream>,
    /// Error streams waiting for their data stream, by request id.
    pending_errors: HashMap<String, u32>,
    last_stream_id: u32,
    going_away: bool,
    session_unacked: u32,
    tasks: JoinSet<u32>,
}

impl Session {
    fn new(open: PortOpener, out: mpsc::Sender<Outgoing>) -> Self {
        Self {
            open,
            out,
            inflater: HeaderInflater::new(),
            data_streams: HashMap::new(),
            pending_errors: HashMap::new(),
            last_stream_id: 0,
            going_away: false,
            session_unacked: 0,
            tasks: JoinSet::new(),
        }
    }

    async fn send(&self, frame: Outgoing) -> Result<(), SessionError> {
        let sent = self.out.send(frame).await;
        sent.map_err(|_| SessionError::Io(io::ErrorKind::BrokenPipe.into()))
    }

    async fn handle(&mut self, frame: Frame) -> Result<(), SessionError> {
        let (kind, flags, payload) = match frame {
            Frame::Data {
                stream_id,
                flags,
                payload,
            } => {
                return self
                    .on_data(stream_id, flags & FLAG_FIN != 0, payload)
                    .await;
            }
            Frame::Control {
                kind,
                flags,
                payload,
            } => (kind, flags, payload),
        };
        // The frames we act on start with a 32-bit stream (or ping) id; `be32` reads a short
        // payload as id 0, which nothing matches.
        let (word, fin) = (be32(&payload, 0), flags & FLAG_FIN != 0);
        let stream_id = word & 0x7fff_ffff;
        match kind {
            SYN_STREAM => self.on_syn_stream(stream_id, fin, &payload).await?,
            SYN_REPLY | HEADERS => {
                let block = payload
                    .get(4..)
                    .ok_or(SessionError::Protocol("short HEADERS"))?;
                // Inflated though unused: the zlib stream must stay in step.
                self.inflater.inflate(block)?;
                if fin {
                    self.client_finished(stream_id);
                }
            }
            RST_STREAM => {
                self.data_streams.remove(&stream_id);
                self.pending_errors.retain(|_, id| *id != stream_id);
            }
            // Odd ids are the client's pings; even ones would answer ours (we send none).
            PING if word % 2 == 1 => self.send(control(PING, &[word])).await?,
            GOAWAY => self.going_away = true,
            // SETTINGS and WINDOW_UPDATE (deliberately: see the module notes), CREDENTIAL and
            // unknown types are ignored, as the spec asks.
            _ => {}
        }
        Ok(())
    }

    async fn on_syn_stream(
        &mut self,
        stream_id: u32,
        fin: bool,
        payload: &[u8],
    ) -> Result<(), SessionError> {
        let block = payload
            .get(10..)
            .ok_or(SessionError::Protocol("short SYN_STREAM"))?;
        let headers = header_values(&self.inflater.inflate(block)?)?;
        if stream_id == 0 {
            return Err(SessionError::Protocol("stream id 0"));
        }
        if stream_id.is_multiple_of(2) || stream_id <= self.last_stream_id {
            return self
                .send(control(RST_STREAM, &[stream_id, RST_PROTOCOL_ERROR]))
                .await;
        }
        self.last_stream_id = stream_id;
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let port = get("port")
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0);
        let crowded = self.data_streams.len() + self.pending_errors.len() >= MAX_STREAMS;
        // Clients too old to send a request id get their streams paired by id, as the kubelet does.
        let request_id =
            |fallback: u32| get("requestid").map_or(fallback.to_string(), str::to_string);
        match (get("streamtype"), port) {
            (Some("error"), Some(_)) if !crowded && !self.going_away => {
                self.send(Outgoing::Reply(stream_id)).await?;
                self.pending_errors.insert(request_id(stream_id), stream_id);
            }
            (Some("data"), Some(port)) if !crowded && !self.going_away => {
                let error_id = self
                    .pending_errors
                    .remove(&request_id(stream_id.saturating_sub(2)));
                // Queued before the task can queue data, so the reply reaches the client
                // first: spdystream drops data on a stream it has no reply for.
                self.send(Outgoing::Reply(stream_id)).await?;
                let (inbound, inbound_rx) = mpsc::channel(INBOUND_PIECES);
                let (cancel, cancelled) = oneshot::channel();
                let inbound = (!fin).then_some(inbound);
                self.data_streams.insert(
                    stream_id,
                    DataStream {
                        inbound,
                        _cancel: cancel,
                    },
                );
                let link = Link {
                    data_id: stream_id,
                    error_id,
                    out: self.out.clone(),
                };
                let open = self.open.clone();
                self.tasks
                    .spawn(forward(link, open, port, inbound_rx, cancelled));
            }
            // The kubelet resets streams it will not serve.
            _ => {
                self.send(control(RST_STREAM, &[stream_id, RST_REFUSED_STREAM]))
                    .await?
            }
        }
        Ok(())
    }

    async fn on_data(
        &mut self,
        stream_id: u32,
        fin: bool,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        // Session-level credit (SPDY/3.1) is returned on receipt, so a stalled stream never
        // starves the others; per-stream credit is returned by the stream's task.
        self.session_unacked = self.session_unacked.saturating_add(payload.len() as u32);
        if self.session_unacked >= WINDOW_UPDATE_AT {
            let delta = std::mem::take(&mut self.session_unacked);
            self.send(control(WINDOW_UPDATE, &[0, delta])).await?;
        }
        // Data on error streams (kubectl writes none) and on closed streams is dropped.
        if let Some(stream) = self.data_streams.get_mut(&stream_id)
            && let Some(inbound) = &stream.inbound
        {
            let mut rest = payload;
            while !rest.is_empty() {
                let piece = rest.split_to(rest.len().min(CHUNK));
                if inbound.send(piece).await.is_err() {
                    // The pod side stopped taking data; the rest is discarded.
                    stream.inbound = None;
                    break;
                }
            }
        }
        if fin {
            self.client_finished(stream_id);
        }
        Ok(())
    }

    fn client_finished(&mut self, stream_id: u32) {
        if let Some(stream) = self.data_streams.get_mut(&stream_id) {
            stream.inbound = None;
        }
    }

    fn reap_finished(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Ok(stream_id) = done {
                self.data_streams.remove(&stream_id);
            }
        }
    }
}

/// One forwarded connection's streams, as its task sees them.
struct Link {
    data_id: u32,
    error_id: Option<u32>,
    out: mpsc::Sender<Outgoing>,
}

impl Link {
    async fn send(&self, frame: Outgoing) -> bool {
        self.out.send(frame).await.is_ok()
    }
}

/// Runs one forwarded connection: copies both ways until both directions are done or the client
/// resets the data stream, then finishes the error stream (kubectl waits for its end).
async fn forward(
    link: Link,
    open: PortOpener,
    port: u16,
    inbound: mpsc::Receiver<Bytes>,
    cancelled: oneshot::Receiver<()>,
) -> u32 {
    match open(port) {
        Err(message) => {
            drop(inbound);
            if let Some(error_id) = link.error_id {
                link.send(data(error_id, message.as_bytes(), false)).await;
            }
            link.send(data(link.data_id, &[], true)).await;
        }
        Ok(pod) => {
            let (pod_rd, pod_wr) = tokio::io::split(pod);
            let both =
                async { tokio::join!(upload(&link, inbound, pod_wr), download(&link, pod_rd)) };
            tokio::select! {
                _ = both => {}
                _ = cancelled => {}
            }
        }
    }
    if let Some(error_id) = link.error_id {
        link.send(data(error_id, &[], true)).await;
    }
    link.data_id
}

/// Client → pod. Ends (dropping `inbound`, so the reader discards further data) when the
/// client finishes or the pod side closes.
async fn upload(link: &Link, mut inbound: mpsc::Receiver<Bytes>, mut pod: WriteHalf<DuplexStream>) {
    let mut unacked = 0u32;
    while let Some(piece) = inbound.recv().await {
        if pod.write_all(&piece).await.is_err() {
            return;
        }
        unacked = unacked.saturating_add(piece.len() as u32);
        if unacked >= WINDOW_UPDATE_AT {
            let delta = std::mem::take(&mut unacked);
            if !link
                .send(control(WINDOW_UPDATE, &[link.data_id, delta]))
                .await
            {
                return;
            }
        }
    }
    // The client's FIN is a half-close: the pod sees end of input but may still answer.
    let _ = pod.shutdown().await;
}

/// Pod → client, ending with FIN when the pod side closes.
async fn download(link: &Link, mut pod: ReadHalf<DuplexStream>) {
    let mut buf = vec![0; CHUNK];
    loop {
        let (frame, last) = match pod.read(&mut buf).await {
            Ok(0) => (data(link.data_id, &[], true), true),
            Ok(n) => (
                data(link.data_id, buf.get(..n).unwrap_or_default(), false),
                false,
            ),
            Err(_) => (
                control(RST_STREAM, &[link.data_id, RST_INTERNAL_ERROR]),
                true,
            ),
        };
        if !link.send(frame).await || last {
            return;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio_tungstenite::tungstenite::protocol::Role;

    const ECHO: u16 = 7;
    const WAIT: Duration = Duration::from_secs(10);

    /// Echoes on port 7 until the client half-closes; refuses every other port.
    fn echo_opener() -> PortOpener {
        Arc::new(|port| {
            if port != ECHO {
                return Err(format!("port {port} is closed"));
            }
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            tokio::spawn(async move {
                let (mut rd, mut wr) = tokio::io::split(theirs);
                let _ = tokio::io::copy(&mut rd, &mut wr).await;
                let _ = wr.shutdown().await;
            });
            Ok(ours)
        })
    }

    #[derive(Debug, PartialEq)]
    enum Got {
        Reply(u32),
        Data(u32, Vec<u8>, bool),
        Control(u16, u32, u32),
    }

    /// Plays kubectl: headers compressed with the dictionary at Go's level.
    struct Client<S, R> {
        sink: S,
        deflater: HeaderDeflater,
        rx: ClientRx<R>,
    }

    /// kubectl's reading side; WINDOW_UPDATE credit is tallied (session, streams), not returned.
    struct ClientRx<R> {
        frames: FrameReader<R>,
        inflater: HeaderInflater,
        credit: (u64, u64),
    }

    impl<R: AsyncRead + Unpin> ClientRx<R> {
        async fn next(&mut self) -> Got {
            loop {
                let next = tokio::time::timeout(WAIT, self.frames.next_frame()).await;
                let got = match next.unwrap().unwrap().unwrap() {
                    Frame::Data {
                        stream_id,
                        flags,
                        payload,
                    } => Got::Data(stream_id, payload.to_vec(), flags & FLAG_FIN != 0),
                    Frame::Control {
                        kind: SYN_REPLY,
                        payload,
                        ..
                    } => {
                        let block = self.inflater.inflate(&payload[4..]).unwrap();
                        assert!(
                            header_values(&block).unwrap().is_empty(),
                            "the kubelet sends none"
                        );
                        Got::Reply(be32(&payload, 0))
                    }
                    Frame::Control { kind, payload, .. } => {
                        Got::Control(kind, be32(&payload, 0), be32(&payload, 4))
                    }
                };
                match got {
                    Got::Control(WINDOW_UPDATE, 0, delta) => self.credit.0 += u64::from(delta),
                    Got::Control(WINDOW_UPDATE, _, delta) => self.credit.1 += u64::from(delta),
                    got => return got,
                }
            }
        }
    }

    impl<S: FrameSink, R: AsyncRead + Unpin> Client<S, R> {
        fn new(sink: S, io: R) -> Self {
            let mut z = Compress::new(Compression::best(), true);
            z.set_dictionary(DICTIONARY).unwrap();
            let rx = ClientRx {
                frames: FrameReader::new(io),
                inflater: HeaderInflater::new(),
                credit: (0, 0),
            };
            Self {
                sink,
                deflater: HeaderDeflater(z),
                rx,
            }
        }
        fn syn_frame(&mut self, id: u32, headers: &[(&str, &str)]) -> Vec<u8> {
            let mut raw = (headers.len() as u32).to_be_bytes().to_vec();
            for field in headers.iter().flat_map(|(n, v)| [n, v]) {
                raw.extend((field.len() as u32).to_be_bytes());
                raw.extend(field.as_bytes());
            }
            let mut payload = [id.to_be_bytes(), [0; 4]].concat();
            payload.extend([0, 0]); // priority, slot
            payload.extend(self.deflater.deflate(&raw).unwrap());
            control_frame(SYN_STREAM, 0, &payload)
        }
        async fn syn(&mut self, id: u32, kind: &str, port: u16, request: u32) {
            let (port, request) = (port.to_string(), request.to_string());
            let headers = [
                ("streamtype", kind),
                ("port", &port),
                ("requestid", &request),
            ];
            let frame = self.syn_frame(id, &headers);
            self.sink.send(frame).await.unwrap();
        }
        async fn send(&mut self, frame: Outgoing) {
            send_to(&mut self.sink, frame).await;
        }
        async fn next(&mut self) -> Got {
            self.rx.next().await
        }
        /// Opens a connection as kubectl does: error stream, its reply, FIN on it, data stream, reply.
        async fn open(&mut self, request: u32, port: u16) -> (u32, u32) {
            let (error_id, data_id) = (request * 4 + 1, request * 4 + 3);
            self.syn(error_id, "error", port, request).await;
            assert_eq!(self.next().await, Got::Reply(error_id));
            self.send(data(error_id, &[], true)).await;
            self.syn(data_id, "data", port, request).await;
            assert_eq!(self.next().await, Got::Reply(data_id));
            (error_id, data_id)
        }
    }

    async fn send_to<S: FrameSink>(sink: &mut S, frame: Outgoing) {
        let Outgoing::Frame(bytes) = frame else {
            panic!("not encoded")
        };
        sink.send(bytes).await.unwrap();
    }

    fn start() -> (
        Client<RawSink<DuplexStream>, ReadHalf<DuplexStream>>,
        JoinHandle<()>,
    ) {
        let (ours, theirs) = tokio::io::duplex(256 * 1024);
        let server = tokio::spawn(serve(theirs, echo_opener()));
        let (rd, wr) = tokio::io::split(ours);
        (Client::new(RawSink(wr), rd), server)
    }

    #[test]
    fn dictionary_is_the_specs() {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in DICTIONARY {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(DICTIONARY.len(), 1423);
        assert_eq!(b << 16 | a, DICTIONARY_ID);
    }

    /// Two blocks sharing one zlib stream, made by real zlib (Python's, level 9 with the
    /// dictionary, as Go's spdystream writes them), headers as kubectl sends them.
    #[test]
    fn inflates_header_blocks_from_real_zlib() {
        let hex = |s: &str| {
            let digit = |i| u8::from_str_radix(&s[i..i + 2], 16).unwrap();
            (0..s.len()).step_by(2).map(digit).collect::<Vec<_>>()
        };
        let first = hex(
            "78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c60616061\
                         00a4398b20d198094ade8c0600000000ffff",
        );
        let second = hex("826a26ac0ad57850499508000000ffff");
        let mut inflater = HeaderInflater::new();
        let fields = |block: Vec<u8>| {
            let headers = header_values(&block).unwrap();
            headers
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let got = fields(inflater.inflate(&first).unwrap());
        assert_eq!(got, "streamtype=error port=8080 requestid=0");
        let got = fields(inflater.inflate(&second).unwrap());
        assert_eq!(got, "port=8080 requestid=0 streamtype=data");
        assert!(
            header_values(&[0, 0, 0, 1, 0, 0, 0, 9, b'p']).is_err(),
            "field past the end"
        );
    }

    #[test]
    fn our_header_stream_names_the_dictionary() {
        let mut deflater = HeaderDeflater::new();
        let block = deflater.deflate(&[0; 4]).unwrap();
        assert_eq!(
            (block[0], block[1] & 0x20),
            (0x78, 0x20),
            "zlib header with FDICT"
        );
        assert_eq!(u16::from_be_bytes([block[0], block[1]]) % 31, 0);
        assert_eq!(be32(&block, 2), DICTIONARY_ID);
        assert!(block.ends_with(&[0, 0, 0xff, 0xff]), "sync flush");
        let mut inflater = HeaderInflater::new();
        assert_eq!(inflater.inflate(&block).unwrap(), [0; 4]);
        assert_eq!(
            inflater
                .inflate(&deflater.deflate(&[0; 4]).unwrap())
                .unwrap(),
            [0; 4]
        );
    }

    #[tokio::test]
    async fn echoes_answers_pings_and_finishes_both_streams() {
        let (mut client, server) = start();
        let (error_id, data_id) = client.open(0, ECHO).await;
        client.send(data(data_id, b"hello", false)).await;
        assert_eq!(
            client.next().await,
            Got::Data(data_id, b"hello".to_vec(), false)
        );
        client.send(control(PING, &[2])).await; // even: not the client's to send
        client.send(control(PING, &[1])).await;
        assert_eq!(client.next().await, Got::Control(PING, 1, 0));
        client.send(data(data_id, &[], true)).await;
        assert_eq!(client.next().await, Got::Data(data_id, vec![], true));
        assert_eq!(client.next().await, Got::Data(error_id, vec![], true));
        drop(client);
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_unreachable_port_is_reported_on_the_error_stream() {
        let (mut client, _server) = start();
        let (error_id, data_id) = client.open(0, 81).await;
        let message = b"port 81 is closed".to_vec();
        assert_eq!(client.next().await, Got::Data(error_id, message, false));
        assert_eq!(client.next().await, Got::Data(data_id, vec![], true));
        assert_eq!(client.next().await, Got::Data(error_id, vec![], true));
    }

    #[tokio::test]
    async fn a_client_reset_ends_the_connection_and_the_session_goes_on() {
        let (mut client, _server) = start();
        let (error_id, data_id) = client.open(0, ECHO).await;
        client.send(control(RST_STREAM, &[data_id, 5])).await;
        assert_eq!(client.next().await, Got::Data(error_id, vec![], true));
        let (_, data_id) = client.open(1, ECHO).await;
        client.send(data(data_id, b"again", false)).await;
        assert_eq!(
            client.next().await,
            Got::Data(data_id, b"again".to_vec(), false)
        );
    }

    #[tokio::test]
    async fn a_megabyte_each_way_flows_and_credit_is_returned() {
        let (mut client, _server) = start();
        let (error_id, data_id) = client.open(0, ECHO).await;
        let sent: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
        let Client { sink, rx, .. } = &mut client;
        let send = async {
            for piece in sent.chunks(CHUNK) {
                send_to(sink, data(data_id, piece, false)).await;
            }
            send_to(sink, data(data_id, &[], true)).await;
        };
        let receive = async {
            let mut echoed = Vec::new();
            while let Got::Data(id, bytes, fin) = rx.next().await {
                assert_eq!(id, data_id);
                echoed.extend(bytes);
                if fin {
                    break;
                }
            }
            echoed
        };
        let ((), echoed) = tokio::join!(send, receive);
        assert!(echoed == sent, "the echo differs");
        assert_eq!(client.next().await, Got::Data(error_id, vec![], true));
        let floor = (1 << 20) - u64::from(WINDOW_UPDATE_AT);
        let credit = client.rx.credit;
        assert!(credit.0 >= floor && credit.1 >= floor, "credit {credit:?}");
    }

    #[tokio::test]
    async fn fifty_connections_share_one_session() {
        let (mut client, _server) = start();
        let mut open = Vec::new();
        for request in 0..50 {
            open.push(client.open(request, ECHO).await);
        }
        for (request, (_, data_id)) in open.iter().enumerate() {
            client
                .send(data(
                    *data_id,
                    format!("connection {request}").as_bytes(),
                    true,
                ))
                .await;
        }
        let mut echoed: HashMap<u32, Vec<u8>> = HashMap::new();
        let mut finished = 0;
        while finished < 100 {
            let Got::Data(id, bytes, fin) = client.next().await else {
                panic!("not data")
            };
            echoed.entry(id).or_default().extend(bytes);
            finished += usize::from(fin);
        }
        for (request, (error_id, data_id)) in open.iter().enumerate() {
            assert_eq!(echoed[data_id], format!("connection {request}").as_bytes());
            assert!(echoed[error_id].is_empty());
        }
    }

    #[tokio::test]
    async fn bad_streams_are_refused_and_malformed_input_ends_the_session() {
        let (mut client, server) = start();
        let frame = client.syn_frame(1, &[("streamtype", "data")]);
        client.sink.send(frame).await.unwrap();
        assert_eq!(
            client.next().await,
            Got::Control(RST_STREAM, 1, RST_REFUSED_STREAM)
        );
        let garbage = [&3u32.to_be_bytes()[..], &[0; 6], b"not zlib at all"].concat();
        client
            .sink
            .send(control_frame(SYN_STREAM, 0, &garbage))
            .await
            .unwrap();
        assert_eq!(
            client.next().await,
            Got::Control(GOAWAY, 1, GOAWAY_PROTOCOL_ERROR)
        );
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    }

    /// Every binary message is a slice of one SPDY byte stream: a frame split over two messages
    /// must parse, and the server must answer in binary messages only.
    #[tokio::test]
    async fn the_websocket_tunnel_carries_the_same_byte_stream() {
        let (ours, theirs) = tokio::io::duplex(256 * 1024);
        let server_ws = WebSocketStream::from_raw_socket(theirs, Role::Server, None).await;
        let server = tokio::spawn(serve_tunnel(server_ws, echo_opener()));
        let client_ws = WebSocketStream::from_raw_socket(ours, Role::Client, None).await;
        let (sink, messages) = client_ws.split();
        let bytes = messages.filter_map(|msg| {
            future::ready(match msg {
                Ok(Message::Binary(data)) => Some(Ok(data)),
                Ok(Message::Text(_)) => Some(Err(io::Error::other("text message"))),
                Ok(_) => None,
                Err(e) => Some(Err(io::Error::other(e))),
            })
        });
        let mut client = Client::new(WsSink(sink), tokio_util::io::StreamReader::new(bytes));
        let mut frame = client.syn_frame(
            1,
            &[("streamtype", "error"), ("port", "7"), ("requestid", "0")],
        );
        let tail = frame.split_off(11);
        client.sink.send(frame).await.unwrap();
        client.sink.send(tail).await.unwrap();
        assert_eq!(client.next().await, Got::Reply(1));
        client.syn(3, "data", ECHO, 0).await;
        assert_eq!(client.next().await, Got::Reply(3));
        client.send(data(3, b"through the tunnel", false)).await;
        assert_eq!(
            client.next().await,
            Got::Data(3, b"through the tunnel".to_vec(), false)
        );
        client.sink.close().await;
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    }
}
