//! Fetch a batch from an ArrowCid Flight node (`arrowcid serve`) by CID and verify it.
//!
//!     cargo run --release -- http://127.0.0.1:8815 bafkrei... [TOKEN]
//!
//! The ticket is the CID as UTF-8 text. Each FlightData is written back as an IPC message
//! (0xFFFFFFFF, little-endian int32 header length, header, body) and the end-of-stream marker
//! is appended: those bytes are exactly what the CID names, so their sha-256, wrapped as a CIDv1
//! (codec raw 0x55, multihash sha2-256 0x12 0x20) in base32 lower-case, must equal the CID.
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::Ticket;
use data_encoding::BASE32_NOPAD;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Cursor;
use tonic::metadata::MetadataValue;
use tonic::Request;

fn cid_of_raw(bytes: &[u8]) -> String {
    let mut binary = vec![0x01, 0x55, 0x12, 0x20];
    binary.extend_from_slice(&Sha256::digest(bytes));
    format!("b{}", BASE32_NOPAD.encode(&binary).to_lowercase())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: {} http://HOST:PORT CID [TOKEN]", args[0]);
        std::process::exit(2);
    }
    let (server, cid) = (args[1].clone(), args[2].clone());
    let mut client = FlightServiceClient::connect(server)
        .await?
        .max_decoding_message_size(256 * 1024 * 1024);

    let mut request = Request::new(Ticket { ticket: cid.clone().into_bytes().into() });
    if let Some(token) = args.get(3) {
        request
            .metadata_mut()
            .insert("authorization", MetadataValue::try_from(format!("Bearer {token}"))?);
    }

    let mut stream = client.do_get(request).await?.into_inner();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(data) = stream.next().await {
        let data = data?;
        bytes.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        bytes.extend_from_slice(&(data.data_header.len() as i32).to_le_bytes());
        bytes.extend_from_slice(&data.data_header);
        bytes.extend_from_slice(&data.data_body);
    }
    bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);

    let actual = cid_of_raw(&bytes);
    if actual != cid {
        eprintln!("HASH MISMATCH: asked for {cid}, the bytes hash to {actual}");
        std::process::exit(1);
    }

    let reader = arrow_ipc::reader::StreamReader::try_new(Cursor::new(&bytes), None)?;
    let mut rows = 0;
    for batch in reader {
        rows += batch?.num_rows();
    }
    println!("{cid}: {rows} rows, {} bytes; sha-256 matches the CID", bytes.len());
    Ok(())
}
