//! Placeholder until the SPDY session lands.
pub type PortOpener =
    std::sync::Arc<dyn Fn(u16) -> Result<tokio::io::DuplexStream, String> + Send + Sync>;
pub async fn serve<IO>(_io: IO, _open: PortOpener)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
}
pub async fn serve_tunnel<S>(_ws: tokio_tungstenite::WebSocketStream<S>, _open: PortOpener)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
}
