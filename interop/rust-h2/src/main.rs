//! An independent Flight client on the HTTP/2 stack of tonic and arrow-rs (hyper 0.14 over h2
//! 0.3, tokio, prost), built offline from Debian's librust-*-dev crates. It checks an ArrowCid
//! node end to end and prints one line per check ("ok …" or "FAIL …"):
//!
//!     arrowcid-h2-peer http://127.0.0.1:8815 [--get CID]... [--put FILE.arrows]...
//!     arrowcid-h2-peer http://127.0.0.1:8815 --shutdown CID
//!
//! - every `--get` batch CID is fetched by DoGet (ticket = CID text) on two connections at once,
//!   one with hyper's default windows and one with RFC 9113's 65,535-byte initial windows; the
//!   FlightData are written back as an IPC stream and its sha-256 must be the CID's digest;
//! - an unknown CID is NOT_FOUND and a ticket that is no CID is INVALID_ARGUMENT (trailers-only
//!   responses); a DoGet of the last `--get` CID dropped after its first MiB (RST_STREAM CANCEL)
//!   is followed by a good one on the same connection, on each connection; and that CID is
//!   fetched by 8 streams at once over the small windows;
//! - every `--put` file (an Arrow IPC stream) goes up by DoPut, its first FlightData carrying the
//!   CMD descriptor {"tags":{"from":"rust"}}; the PutResults must acknowledge each record batch
//!   with the file's row count and the chunks it completed, then name the table (the node cuts
//!   the rows into content-defined chunks of at most 1 MiB); each chunk CID is fetched back and
//!   re-hashed, the table's manifest tree (the `block` action, node by node) hashes to its CIDs
//!   and links the chunks in order (a one-chunk table is its chunk's raw CID), the table's DoGet
//!   rebuilds into blocks that hash to the chunk CIDs, and GetFlightInfo reports the rows, the
//!   chunk count and the tag; a malformed 24 MiB DoPut is INVALID_ARGUMENT without leaving the
//!   upload blocked;
//! - `--shutdown CID` holds a DoGet of a large batch open after its first MiB, prints
//!   "ready for shutdown" and waits for a line on stdin while the node stops (GOAWAY); the DoGet
//!   must then finish intact, the connection close without error and a new call on it fail.
//!
//! Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.

mod cbor;
mod cid;
mod flight;
mod grpc;
mod ipc;

use bytes::Bytes;
use cid::Cid;
use flight::{Action, ActionResult, FlightData, FlightDescriptor, FlightInfo, PutResult, Ticket, DESCRIPTOR_CMD};
use grpc::{CallError, Channel, Windows};
use std::process::ExitCode;

const USAGE: &str = "usage: arrowcid-h2-peer http://HOST:PORT [--get CID]... [--put FILE]... | --shutdown CID";

/// The tags every DoPut carries.
const PUT_DESCRIPTOR: &[u8] = br#"{"tags":{"from":"rust"}}"#;

#[derive(Default)]
struct Checks {
    passed: usize,
    failed: usize,
}

impl Checks {
    fn record(&mut self, what: &str, outcome: Result<String, String>) -> bool {
        match outcome {
            Ok(detail) => {
                println!("ok {what}: {detail}");
                self.passed += 1;
                true
            }
            Err(why) => {
                println!("FAIL {what}: {why}");
                self.failed += 1;
                false
            }
        }
    }
}

struct Options {
    authority: String,
    gets: Vec<String>,
    puts: Vec<String>,
    shutdown: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let server = args.first().ok_or("no server given")?;
    let authority = ["http://", "grpc://", "grpc+tcp://"]
        .iter()
        .find_map(|scheme| server.strip_prefix(scheme))
        .ok_or_else(|| format!("{server}: expected http://, grpc:// or grpc+tcp:// (this client speaks cleartext HTTP/2)"))?
        .trim_end_matches('/')
        .to_string();
    let (mut gets, mut puts, mut shutdown) = (Vec::new(), Vec::new(), None);
    let mut rest = args[1..].iter();
    while let Some(option) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{option} needs a value"))?.clone();
        match option.as_str() {
            "--get" => gets.push(value),
            "--put" => puts.push(value),
            "--shutdown" => shutdown = Some(value),
            _ => return Err(format!("unknown option {option}")),
        }
    }
    Ok(Options { authority, gets, puts, shutdown })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(why) => {
            eprintln!("{why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let mut checks = Checks::default();
    let mut channels = Vec::new();
    for (name, windows) in [("hyper-default windows", Windows::HyperDefault), ("65535-byte windows", Windows::Rfc9113Initial)] {
        let outcome = Channel::connect(&options.authority, windows).await;
        let detail = outcome.as_ref().map(|_| format!("HTTP/2 with {name}")).map_err(Clone::clone);
        if checks.record(&format!("connect {}", options.authority), detail) {
            channels.push((name, outcome.expect("checked")));
        }
    }
    if channels.len() == 2 {
        match &options.shutdown {
            Some(cid) => across_shutdown(&channels[1].1, cid, &mut checks).await,
            None => run(&options, &channels, &mut checks).await,
        }
    }

    if checks.failed == 0 {
        println!("all {} checks passed", checks.passed);
        ExitCode::SUCCESS
    } else {
        println!("{} of {} checks failed", checks.failed, checks.passed + checks.failed);
        ExitCode::from(1)
    }
}

async fn run(options: &Options, channels: &[(&str, Channel)], checks: &mut Checks) {
    // Every DoGet on both connections at once: concurrent streams on each.
    let mut fetches = Vec::new();
    for cid in &options.gets {
        for (name, channel) in channels {
            let task = tokio::spawn(fetch_batch(channel.clone(), cid.clone()));
            fetches.push((format!("doget {cid} over {name}"), task));
        }
    }
    for (what, task) in fetches {
        checks.record(&what, task.await.map_err(|e| format!("task: {e}")).and_then(|r| r));
    }

    let channel = &channels[0].1;
    let unknown = Cid::of(cid::RAW, b"arrowcid-h2-peer: a block nobody stored").text;
    checks.record(&format!("doget unknown {unknown}"), expect_status(channel, &unknown, grpc::NOT_FOUND).await);
    checks.record("doget ticket 'not-a-cid'", expect_status(channel, "not-a-cid", grpc::INVALID_ARGUMENT).await);
    if let Some(cid) = options.gets.last() {
        for (name, channel) in channels {
            checks.record(&format!("doget {cid} cancelled then again over {name}"), cancel_then_fetch(channel, cid).await);
        }
        let (name, channel) = &channels[1];
        checks.record(&format!("doget {cid} x{CONCURRENT} at once over {name}"), fetch_concurrently(channel, cid).await);
    }

    checks.record("doput of a malformed 24 MiB stream", put_malformed(channel).await);
    checks.record(
        "doget after the malformed doput",
        match options.gets.first() {
            Some(cid) => fetch_batch(channel.clone(), cid.clone()).await,
            None => Ok("no --get CID to fetch".into()),
        },
    );

    for path in &options.puts {
        put_and_verify(channel, path, checks).await;
    }
}

/// Starts a DoGet of a large CID over small windows and reads its first MiB, prints
/// "ready for shutdown" and waits for a line on stdin while the node begins to stop (GOAWAY);
/// then the call must finish intact, the connection must close without error and a new call on
/// it must fail at once.
async fn across_shutdown(channel: &Channel, text: &str, checks: &mut Checks) {
    let started = async {
        let mut call =
            channel.call("DoGet", &Ticket { ticket: Bytes::from(text.to_string()) }).await.map_err(|e| e.to_string())?;
        let received = call.read_at_least(1 << 20).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((call, received))
    }
    .await;
    let what = format!("doget {text} across the node's shutdown");
    let (mut call, received) = match started {
        Ok(started) => started,
        Err(why) => {
            checks.record(&what, Err(why));
            return;
        }
    };
    println!("ready for shutdown: {received} bytes of {text} read");
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        checks.record("stdin", Err(e.to_string()));
        return;
    }

    let finished = async {
        let cid = Cid::parse(text)?;
        let mut frames = Vec::new();
        while let Some(data) = call.next::<FlightData>().await.map_err(|e| e.to_string())? {
            frames.push(ipc::Message { header: data.data_header, body: data.data_body });
        }
        let stream = ipc::join_stream(frames.iter().map(|m| (&m.header[..], &m.body[..])));
        if cid.verifies(&stream) {
            Ok(format!(
                "{received} bytes before, {} bytes in all after the shutdown began; sha-256 matches the CID",
                stream.len()
            ))
        } else {
            Err(format!("the {} bytes do not hash to the CID", stream.len()))
        }
    };
    checks.record(&what, finished.await);
    // h2 ends the connection with an error on a GOAWAY carrying an error code, a reset or a
    // broken socket; a NO_ERROR GOAWAY or a clean close once the streams are done is Ok.
    checks.record(
        "connection closes cleanly once the call is done",
        channel.closed().await.map(|()| "hyper's connection task ended without error".to_string()),
    );
    let again = channel.call("DoGet", &Ticket { ticket: Bytes::from(text.to_string()) }).await;
    checks.record(
        "a new call on the closed connection fails",
        match again {
            Ok(_) => Err("it was answered".to_string()),
            Err(e) => Ok(e.to_string()),
        },
    );
}

/// A DoPut whose first message is no Arrow message, followed by more bytes than the node's stream
/// window: the node must answer INVALID_ARGUMENT and not leave the upload stuck (it reads the
/// rest or resets the stream).
async fn put_malformed(channel: &Channel) -> Result<String, String> {
    let junk = FlightData {
        flight_descriptor: None,
        data_header: Bytes::from_static(&[0x42; 16]),
        app_metadata: Bytes::new(),
        data_body: Bytes::from(vec![0x17; 1 << 20]),
    };
    let (mut requests, response) = channel.start("DoPut").await.map_err(|e| e.to_string())?;
    let sender = tokio::spawn(async move {
        let mut sent = 0;
        for _ in 0..24 {
            if requests.send(&junk).await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    });
    let outcome = match response.await_headers().await {
        Ok(mut call) => {
            // Let the node's RST_STREAM(NO_ERROR), sent after its complete response, arrive before
            // the response is read, so reading it after such a reset is what is checked every time.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            call.collect::<PutResult>().await.map(|r| r.len())
        }
        Err(e) => Err(e),
    };
    let sent = tokio::time::timeout(std::time::Duration::from_secs(60), sender)
        .await
        .map_err(|_| "the upload is still blocked 60 s after the call ended".to_string())?
        .map_err(|e| format!("task: {e}"))?;
    match outcome {
        Err(CallError::Status { code: grpc::INVALID_ARGUMENT, message }) => {
            Ok(format!("grpc-status 3 ({message}); the upload ended after {sent} of 24 messages"))
        }
        Err(other) => Err(format!("expected grpc-status 3, got {other}")),
        Ok(results) => Err(format!("accepted with {results} PutResults")),
    }
}

/// DoGet of a ticket: the FlightData as IPC messages.
async fn do_get(channel: &Channel, ticket: &str) -> Result<Vec<ipc::Message>, CallError> {
    let mut call = channel.call("DoGet", &Ticket { ticket: Bytes::from(ticket.to_string()) }).await?;
    let mut messages = Vec::new();
    while let Some(data) = call.next::<FlightData>().await? {
        if data.data_header.is_empty() {
            return Err(CallError::Other(format!("FlightData {} has no data_header", messages.len())));
        }
        messages.push(ipc::Message { header: data.data_header, body: data.data_body });
    }
    Ok(messages)
}

/// Fetches a batch CID and checks that the rebuilt stream hashes to it and is one batch block.
async fn fetch_batch(channel: Channel, text: String) -> Result<String, String> {
    let cid = Cid::parse(&text)?;
    if cid.codec != cid::RAW {
        return Err(format!("codec 0x{:x}: --get takes batch CIDs (raw, 0x55)", cid.codec));
    }
    let messages = do_get(&channel, &text).await.map_err(|e| e.to_string())?;
    let stream = ipc::join_stream(messages.iter().map(|m| (&m.header[..], &m.body[..])));
    if !cid.verifies(&stream) {
        return Err(format!("the {} rebuilt bytes hash to {}, not to the CID", stream.len(), Cid::of(cid::RAW, &stream).text));
    }
    let rows = batch_rows(&Bytes::from(stream.clone()))?;
    Ok(format!("{} FlightData, {} bytes, {rows} rows, sha-256 matches the CID", messages.len(), stream.len()))
}

/// The rows of a batch block: a schema, dictionaries, exactly one record batch.
fn batch_rows(block: &Bytes) -> Result<i64, String> {
    let messages = ipc::split_stream(block)?;
    let kinds: Vec<ipc::MessageInfo> = messages.iter().map(|m| ipc::message_info(&m.header)).collect::<Result<_, _>>()?;
    let shape_ok = kinds.first().map(|k| k.header_type) == Some(ipc::SCHEMA)
        && kinds.last().map(|k| k.header_type) == Some(ipc::RECORD_BATCH)
        && kinds[1..kinds.len() - 1].iter().all(|k| k.header_type == ipc::DICTIONARY_BATCH);
    if !shape_ok {
        return Err(format!("not one batch block: message types {:?}", kinds.iter().map(|k| k.header_type).collect::<Vec<_>>()));
    }
    Ok(kinds.last().and_then(|k| k.rows).unwrap_or(0))
}

async fn expect_status(channel: &Channel, ticket: &str, expected: u32) -> Result<String, String> {
    match do_get(channel, ticket).await {
        Ok(messages) => Err(format!("answered with {} FlightData", messages.len())),
        Err(CallError::Status { code, message }) if code == expected => Ok(format!("grpc-status {code} ({message})")),
        Err(other) => Err(format!("expected grpc-status {expected}, got {other}")),
    }
}

/// Drops a DoGet after its first MiB, inside a large message whose sender may be waiting for
/// window (hyper resets the stream with CANCEL), then fetches the same CID on the same connection.
async fn cancel_then_fetch(channel: &Channel, text: &str) -> Result<String, String> {
    let mut call = channel.call("DoGet", &Ticket { ticket: Bytes::from(text.to_string()) }).await.map_err(|e| e.to_string())?;
    let received = call.read_at_least(1 << 20).await.map_err(|e| e.to_string())?;
    drop(call);
    let again = fetch_batch(channel.clone(), text.to_string()).await?;
    Ok(format!("dropped after {received} bytes; then {again}"))
}

/// Streams at once on one connection in the concurrency check.
const CONCURRENT: usize = 8;

/// The same CID fetched by several streams at once: they share the connection's window.
async fn fetch_concurrently(channel: &Channel, text: &str) -> Result<String, String> {
    let tasks: Vec<_> = (0..CONCURRENT).map(|_| tokio::spawn(fetch_batch(channel.clone(), text.to_string()))).collect();
    let mut details = Vec::new();
    for task in tasks {
        details.push(task.await.map_err(|e| format!("task: {e}"))??);
    }
    details.dedup();
    match details.as_slice() {
        [one] => Ok(format!("each {one}")),
        _ => Err(format!("the streams disagree: {details:?}")),
    }
}

/// DoPut of every message of an IPC stream, the descriptor on the first; the PutResults.
async fn do_put(channel: &Channel, messages: &[ipc::Message]) -> Result<Vec<PutResult>, CallError> {
    let descriptor = FlightDescriptor { r#type: DESCRIPTOR_CMD, cmd: Bytes::from_static(PUT_DESCRIPTOR), path: Vec::new() };
    let data: Vec<FlightData> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| FlightData {
            flight_descriptor: (i == 0).then(|| descriptor.clone()),
            data_header: m.header.clone(),
            app_metadata: Bytes::new(),
            data_body: m.body.clone(),
        })
        .collect();
    let (mut requests, response) = channel.start("DoPut").await?;
    // The request stream goes while the PutResults come back; dropping `requests` ends it.
    let sender = tokio::spawn(async move {
        for item in &data {
            requests.send(item).await?;
        }
        Ok::<(), String>(())
    });
    let mut call = response.await_headers().await?;
    let results = call.collect::<PutResult>().await;
    let sent = sender.await.map_err(|e| CallError::Other(format!("sender task: {e}")))?;
    let results = results?;
    sent?;
    Ok(results)
}

struct StoredBatch {
    cid: String,
    rows: i64,
    bytes: i64,
}

async fn put_and_verify(channel: &Channel, path: &str, checks: &mut Checks) {
    let what = format!("doput {path}");
    let put = put_file(channel, path).await;
    let detail = put.as_ref().map(|(batches, dataset)| {
        let rows: i64 = batches.iter().map(|b| b.rows).sum();
        format!("{} chunks, {rows} rows acknowledged with the file's row counts; table {dataset}", batches.len())
    });
    if !checks.record(&what, detail.map_err(Clone::clone)) {
        return;
    }
    let (batches, dataset) = put.expect("checked");

    for (i, batch) in batches.iter().enumerate() {
        let fetched = fetch_batch(channel.clone(), batch.cid.clone()).await;
        let outcome = fetched.and_then(|detail| {
            if detail.contains(&format!(" {} bytes,", batch.bytes)) {
                Ok(detail)
            } else {
                Err(format!("PutResult said {} bytes; fetched {detail}", batch.bytes))
            }
        });
        checks.record(&format!("{what} chunk {i} {} fetched back", batch.cid), outcome);
    }
    let cids: Vec<&str> = batches.iter().map(|b| b.cid.as_str()).collect();
    let rows: i64 = batches.iter().map(|b| b.rows).sum();
    checks.record(&format!("{what} table {dataset} manifest"), verify_manifest(channel, &dataset, &cids).await);
    checks.record(&format!("{what} table {dataset} doget"), verify_dataset_stream(channel, &dataset, &cids).await);
    checks.record(&format!("{what} table {dataset} getflightinfo"), verify_info(channel, &dataset, rows, &cids).await);
}

/// Puts a file; checks the PutResults against the file's record batches.
async fn put_file(channel: &Channel, path: &str) -> Result<(Vec<StoredBatch>, String), String> {
    let file = Bytes::from(tokio::fs::read(path).await.map_err(|e| format!("reading {path}: {e}"))?);
    let messages = ipc::split_stream(&file).map_err(|e| format!("{path}: {e}"))?;
    let file_rows: Vec<i64> = messages
        .iter()
        .map(|m| ipc::message_info(&m.header).map(|info| info.rows))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let results = do_put(channel, &messages).await.map_err(|e| e.to_string())?;

    // One PutResult per record batch: {"rows", "chunks": [the chunks it completed]}; then the
    // final one: {"chunks": [the last], "dataset", "rows", "bytes", "batches": chunk count}.
    let mut chunks = Vec::new();
    let mut acknowledged = Vec::new();
    let mut dataset = None;
    for result in &results {
        let json: serde_json::Value =
            serde_json::from_slice(&result.app_metadata).map_err(|e| format!("PutResult app_metadata is not JSON: {e}"))?;
        for chunk in json["chunks"].as_array().ok_or_else(|| format!("PutResult {json} has no chunks array"))? {
            let cid = chunk["cid"].as_str().ok_or_else(|| format!("chunk {chunk} has no cid"))?;
            if Cid::parse(cid)?.codec != cid::RAW {
                return Err(format!("chunk {cid} is not a raw (batch) CID"));
            }
            chunks.push(StoredBatch {
                cid: cid.to_string(),
                rows: chunk["rows"].as_i64().unwrap_or(-1),
                bytes: chunk["bytes"].as_i64().unwrap_or(-1),
            });
        }
        if let Some(cid) = json["dataset"].as_str() {
            dataset = Some(cid.to_string());
        } else {
            acknowledged.push(json["rows"].as_i64().ok_or_else(|| format!("PutResult {json} has no rows"))?);
        }
    }
    if acknowledged != file_rows {
        return Err(format!("PutResults acknowledge rows {acknowledged:?}, the file's batches have {file_rows:?}"));
    }
    let last: serde_json::Value = serde_json::from_slice(&results.last().ok_or("no PutResult")?.app_metadata).map_err(|e| e.to_string())?;
    let counts = (last["rows"].as_i64(), last["batches"].as_u64());
    let expected = (Some(file_rows.iter().sum()), Some(chunks.len() as u64));
    if counts != expected || chunks.iter().map(|c| c.rows).sum::<i64>() != file_rows.iter().sum::<i64>() {
        return Err(format!("the table's PutResult says (rows, chunks) {counts:?}, the acknowledgements give {expected:?}"));
    }
    let dataset = dataset.ok_or("no table PutResult")?;
    Ok((chunks, dataset))
}

/// A block's bytes by the `block` action, checked against its CID.
async fn fetch_block(channel: &Channel, cid: &Cid) -> Result<Vec<u8>, String> {
    let action = Action { r#type: "block".to_string(), body: Bytes::from(cid.text.clone()) };
    let mut call = channel.call("DoAction", &action).await.map_err(|e| e.to_string())?;
    let pieces: Vec<ActionResult> = call.collect().await.map_err(|e| e.to_string())?;
    let block: Vec<u8> = pieces.iter().flat_map(|p| p.body.iter().copied()).collect();
    if !cid.verifies(&block) {
        return Err(format!("the {} bytes of {} do not hash to it", block.len(), cid.text));
    }
    Ok(block)
}

/// The table's manifest tree by the `block` action: every node hashes to its CID and the tree's
/// leaves link the chunks in order. A node links either chunks (raw) or nodes (dag-cbor), so a
/// depth-first walk in link order meets the chunks in row order. A one-chunk table is its chunk.
async fn verify_manifest(channel: &Channel, dataset: &str, chunks: &[&str]) -> Result<String, String> {
    let root = Cid::parse(dataset)?;
    if root.codec == cid::RAW {
        return if chunks == [dataset] {
            Ok("a one-chunk table, named by its chunk's raw CID".into())
        } else {
            Err(format!("a raw table CID, but {} chunks were acknowledged", chunks.len()))
        };
    }
    if root.codec != cid::DAG_CBOR {
        return Err(format!("codec 0x{:x}, expected raw (0x55) or dag-cbor (0x71)", root.codec));
    }
    let (mut nodes, mut bytes, mut found) = (0, 0, Vec::new());
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let block = fetch_block(channel, &node).await?;
        nodes += 1;
        bytes += block.len();
        let links = cbor::links(&block)?.iter().map(|l| Cid::from_binary(l)).collect::<Result<Vec<_>, _>>()?;
        if links.iter().all(|l| l.codec == cid::RAW) {
            found.extend(links.into_iter().map(|l| l.text));
        } else if links.iter().all(|l| l.codec == cid::DAG_CBOR) {
            stack.extend(links.into_iter().rev());
        } else {
            return Err(format!("node {} links chunks and nodes together", node.text));
        }
    }
    if found != chunks {
        return Err(format!("the tree links {} chunks, not the {} acknowledged in order", found.len(), chunks.len()));
    }
    Ok(format!("{nodes} nodes, {bytes} bytes, each hashing to its CID, link the {} chunks in order", found.len()))
}

/// DoGet of the dataset: the schema once, then each batch's messages; rebuilt per batch, each
/// block must hash to its batch CID.
async fn verify_dataset_stream(channel: &Channel, dataset: &str, batches: &[&str]) -> Result<String, String> {
    let messages = do_get(channel, dataset).await.map_err(|e| e.to_string())?;
    let (schema, rest) = messages.split_first().ok_or("no FlightData")?;
    if ipc::message_info(&schema.header)?.header_type != ipc::SCHEMA {
        return Err("the first FlightData is not a schema".into());
    }
    let mut blocks = Vec::new();
    let mut pending: Vec<&ipc::Message> = Vec::new();
    for message in rest {
        pending.push(message);
        match ipc::message_info(&message.header)?.header_type {
            ipc::DICTIONARY_BATCH => {}
            ipc::RECORD_BATCH => {
                let parts = std::iter::once(schema).chain(pending.drain(..));
                blocks.push(ipc::join_stream(parts.map(|m| (&m.header[..], &m.body[..]))));
            }
            other => return Err(format!("message type {other} inside the dataset stream")),
        }
    }
    if !pending.is_empty() {
        return Err("dictionaries after the last record batch".into());
    }
    let rebuilt: Vec<String> = blocks.iter().map(|b| Cid::of(cid::RAW, b).text).collect();
    if rebuilt != batches {
        return Err(format!("rebuilt blocks hash to {rebuilt:?}, the batches are {batches:?}"));
    }
    Ok(format!("{} FlightData rebuilt into {} blocks, each hashes to its batch CID", messages.len(), blocks.len()))
}

/// GetFlightInfo with CMD {"cid": table}: rows, ticket, kind, chunk count and the "from" tag.
async fn verify_info(channel: &Channel, dataset: &str, rows: i64, batches: &[&str]) -> Result<String, String> {
    let command = serde_json::json!({ "cid": dataset }).to_string();
    let descriptor = FlightDescriptor { r#type: DESCRIPTOR_CMD, cmd: Bytes::from(command), path: Vec::new() };
    let mut call = channel.call("GetFlightInfo", &descriptor).await.map_err(|e| e.to_string())?;
    let mut infos: Vec<FlightInfo> = call.collect().await.map_err(|e| e.to_string())?;
    if infos.len() != 1 {
        return Err(format!("{} FlightInfo messages for a unary call", infos.len()));
    }
    let info = infos.remove(0);
    let ticket = info.endpoint.first().and_then(|e| e.ticket.as_ref()).map(|t| t.ticket.clone()).unwrap_or_default();
    if ticket != dataset.as_bytes() || info.total_records != rows {
        return Err(format!(
            "ticket {:?}, total_records {} (expected {dataset}, {rows})",
            String::from_utf8_lossy(&ticket),
            info.total_records
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&info.app_metadata).map_err(|e| format!("app_metadata: {e}"))?;
    // A one-chunk table is a batch; a larger one a dataset stating its chunk count.
    let shape_ok = if batches == [dataset] {
        metadata["kind"] == "batch"
    } else {
        metadata["kind"] == "table" && metadata["chunks"].as_u64() == Some(batches.len() as u64)
    };
    if !shape_ok || metadata["tags"]["from"] != "rust" {
        return Err(format!("app_metadata {metadata}: expected the kind, {} chunks and tag from=rust", batches.len()));
    }
    Ok(format!("{rows} rows, ticket is the CID, tag from=rust, {} chunks", batches.len()))
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    #[test]
    fn arguments() {
        let args: Vec<String> = ["grpc+tcp://127.0.0.1:1/", "--get", "b", "--put", "f"].iter().map(|s| s.to_string()).collect();
        let options = parse_args(&args).unwrap();
        assert_eq!(
            (options.authority.as_str(), options.gets, options.puts),
            ("127.0.0.1:1", vec!["b".to_string()], vec!["f".to_string()])
        );
        assert!(parse_args(&args[..2]).is_err());
        assert!(parse_args(&["https://x:1".to_string()]).is_err());
    }
}
