//! A client for ClamAV's `clamd` over TCP or a unix socket: `zPING` and `zINSTREAM` (the
//! content sent in length-prefixed chunks, so it streams from the blob store and is never held
//! in memory whole).

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use ferry_blob::ByteStream;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `tcp://host:port`.
    Tcp(String),
    /// `unix:/path` or a plain absolute path.
    Unix(PathBuf),
}

impl Address {
    /// Parses `scan.clamd_address`.
    pub fn parse(s: &str) -> Result<Address, String> {
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            if rest.is_empty() || !rest.contains(':') {
                return Err(format!("`{s}`: expected tcp://host:port"));
            }
            return Ok(Address::Tcp(rest.to_string()));
        }
        if let Some(path) = s.strip_prefix("unix:") {
            return Ok(Address::Unix(PathBuf::from(path.trim_start_matches("//"))));
        }
        if s.starts_with('/') {
            return Ok(Address::Unix(PathBuf::from(s)));
        }
        Err(format!(
            "`{s}`: expected tcp://host:port, unix:/path/to/clamd.ctl or an absolute path"
        ))
    }
}

/// What clamd said of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The name of the signature that matched.
    Infected(String),
}

/// Why a scan did not give a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ClamdError {
    #[error("clamd is unreachable: {0}")]
    Connect(std::io::Error),
    #[error("talking to clamd failed: {0}")]
    Io(std::io::Error),
    #[error("clamd did not answer within {0:?}")]
    Timeout(Duration),
    #[error("clamd refused the scan: {0}")]
    Refused(String),
    #[error("reading the content failed: {0}")]
    Content(String),
}

trait Socket: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Socket for T {}

async fn within<T>(
    limit: Duration,
    f: impl Future<Output = std::io::Result<T>>,
) -> Result<T, ClamdError> {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ClamdError::Io(e)),
        Err(_) => Err(ClamdError::Timeout(limit)),
    }
}

async fn connect(addr: &Address, limit: Duration) -> Result<Box<dyn Socket>, ClamdError> {
    let connected = tokio::time::timeout(limit, async {
        Ok::<Box<dyn Socket>, std::io::Error>(match addr {
            Address::Tcp(hostport) => Box::new(tokio::net::TcpStream::connect(hostport).await?),
            #[cfg(unix)]
            Address::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            #[cfg(not(unix))]
            Address::Unix(_) => {
                return Err(std::io::Error::other("unix sockets need a unix system"));
            }
        })
    })
    .await;
    match connected {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(ClamdError::Connect(e)),
        Err(_) => Err(ClamdError::Timeout(limit)),
    }
}

/// Reads clamd's answer: up to its terminating NUL, or the end of the connection.
async fn answer(socket: &mut Box<dyn Socket>, limit: Duration) -> Result<String, ClamdError> {
    let mut out = Vec::new();
    within(limit, async {
        let mut buf = [0u8; 512];
        loop {
            let n = socket.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if out.contains(&0) || out.len() > 4096 {
                break;
            }
        }
        Ok(())
    })
    .await?;
    let end = out.iter().position(|b| *b == 0).unwrap_or(out.len());
    Ok(String::from_utf8_lossy(&out[..end]).trim().to_string())
}

/// `zPING`: whether clamd is up and answering.
pub async fn ping(addr: &Address, limit: Duration) -> Result<(), ClamdError> {
    let mut socket = connect(addr, limit).await?;
    within(limit, socket.write_all(b"zPING\0")).await?;
    let reply = answer(&mut socket, limit).await?;
    if reply == "PONG" {
        Ok(())
    } else {
        Err(ClamdError::Refused(reply))
    }
}

/// The largest chunk sent at once; clamd accepts any chunk up to its StreamMaxLength.
const CHUNK: usize = 256 * 1024;

/// Scans `content` with `zINSTREAM`. Each exchange (connect, a chunk, the answer) must finish
/// within `limit`.
pub async fn scan(
    addr: &Address,
    mut content: ByteStream<'_>,
    limit: Duration,
) -> Result<Verdict, ClamdError> {
    let mut socket = connect(addr, limit).await?;
    within(limit, socket.write_all(b"zINSTREAM\0")).await?;
    let sent = async {
        while let Some(chunk) = content.next().await {
            let chunk: Bytes = chunk.map_err(|e| ClamdError::Content(e.to_string()))?;
            for piece in chunk.chunks(CHUNK) {
                let len = (piece.len() as u32).to_be_bytes();
                within(limit, socket.write_all(&len)).await?;
                within(limit, socket.write_all(piece)).await?;
            }
        }
        within(limit, socket.write_all(&[0, 0, 0, 0])).await?;
        within(limit, socket.flush()).await
    }
    .await;
    // clamd closes the connection early when a stream passes its StreamMaxLength, after
    // saying so: its answer explains a failed write better than the write error does.
    let reply = match (sent, answer(&mut socket, limit).await) {
        (Ok(()), reply) => reply?,
        (Err(e), Ok(reply)) if !reply.is_empty() => return Err(refused(&reply).unwrap_or(e)),
        (Err(e), _) => return Err(e),
    };
    parse(&reply)
}

fn refused(reply: &str) -> Option<ClamdError> {
    reply
        .ends_with("ERROR")
        .then(|| ClamdError::Refused(reply.to_string()))
}

/// Parses the answer to `zINSTREAM`: `stream: OK`, `stream: <signature> FOUND` or
/// `<reason> ERROR`.
fn parse(reply: &str) -> Result<Verdict, ClamdError> {
    let body = reply.strip_prefix("stream:").map(str::trim);
    match body {
        Some("OK") => Ok(Verdict::Clean),
        Some(found) if found.ends_with(" FOUND") => Ok(Verdict::Infected(
            found.trim_end_matches(" FOUND").trim().to_string(),
        )),
        _ => Err(ClamdError::Refused(reply.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        assert_eq!(
            Address::parse("tcp://127.0.0.1:3310").unwrap(),
            Address::Tcp("127.0.0.1:3310".into())
        );
        assert_eq!(
            Address::parse("unix:/run/clamav/clamd.ctl").unwrap(),
            Address::Unix("/run/clamav/clamd.ctl".into())
        );
        assert_eq!(
            Address::parse("/run/clamav/clamd.ctl").unwrap(),
            Address::Unix("/run/clamav/clamd.ctl".into())
        );
        assert!(Address::parse("127.0.0.1:3310").is_err());
        assert!(Address::parse("tcp://").is_err());
    }

    #[test]
    fn answers_parse() {
        assert_eq!(parse("stream: OK").unwrap(), Verdict::Clean);
        assert_eq!(
            parse("stream: Eicar-Signature FOUND").unwrap(),
            Verdict::Infected("Eicar-Signature".into())
        );
        assert!(matches!(
            parse("INSTREAM size limit exceeded. ERROR"),
            Err(ClamdError::Refused(_))
        ));
    }
}
