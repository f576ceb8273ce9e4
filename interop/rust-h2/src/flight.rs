//! The Flight messages this client uses, written by hand with prost's derive from the field
//! numbers in proto/Flight.proto (no protoc, no build script). Fields not used here are left out:
//! protobuf skips unknown fields when decoding.

use bytes::Bytes;

/// `FlightDescriptor.DescriptorType.CMD`.
pub const DESCRIPTOR_CMD: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub struct FlightDescriptor {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(bytes = "bytes", tag = "2")]
    pub cmd: Bytes,
    #[prost(string, repeated, tag = "3")]
    pub path: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Ticket {
    #[prost(bytes = "bytes", tag = "1")]
    pub ticket: Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FlightData {
    #[prost(message, optional, tag = "1")]
    pub flight_descriptor: Option<FlightDescriptor>,
    #[prost(bytes = "bytes", tag = "2")]
    pub data_header: Bytes,
    #[prost(bytes = "bytes", tag = "3")]
    pub app_metadata: Bytes,
    #[prost(bytes = "bytes", tag = "1000")]
    pub data_body: Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PutResult {
    #[prost(bytes = "bytes", tag = "1")]
    pub app_metadata: Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Action {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(bytes = "bytes", tag = "2")]
    pub body: Bytes,
}

/// `Result` in Flight.proto (renamed: it would shadow Rust's `Result`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ActionResult {
    #[prost(bytes = "bytes", tag = "1")]
    pub body: Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    #[prost(string, tag = "1")]
    pub uri: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FlightEndpoint {
    #[prost(message, optional, tag = "1")]
    pub ticket: Option<Ticket>,
    #[prost(message, repeated, tag = "2")]
    pub location: Vec<Location>,
    #[prost(bytes = "bytes", tag = "4")]
    pub app_metadata: Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FlightInfo {
    #[prost(bytes = "bytes", tag = "1")]
    pub schema: Bytes,
    #[prost(message, optional, tag = "2")]
    pub flight_descriptor: Option<FlightDescriptor>,
    #[prost(message, repeated, tag = "3")]
    pub endpoint: Vec<FlightEndpoint>,
    #[prost(int64, tag = "4")]
    pub total_records: i64,
    #[prost(int64, tag = "5")]
    pub total_bytes: i64,
    #[prost(bool, tag = "6")]
    pub ordered: bool,
    #[prost(bytes = "bytes", tag = "7")]
    pub app_metadata: Bytes,
}
