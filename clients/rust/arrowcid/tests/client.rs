//! The safe crate against libarrowcid: a stream produced in Rust goes through cid_of, put, get,
//! publish, attach and the feed; errors come back typed.
use std::os::raw::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::time::Duration;

use arrowcid::{ArrowArray, ArrowArrayStream, ArrowSchema, ErrorKind, Repository, SharedMemory, Stream};

// ---- a producer of one non-null int64 column "v", in batches --------------------------------

struct Producer {
    batches: Vec<Vec<i64>>,
    next: usize,
    fail_at: Option<usize>,
}

struct SchemaNodes {
    child: ArrowSchema,
    children: [*mut ArrowSchema; 1],
}

struct BatchData {
    values: Vec<i64>,
    child: ArrowArray,
    children: [*mut ArrowArray; 1],
    child_buffers: [*const c_void; 2],
    top_buffers: [*const c_void; 1],
}

unsafe extern "C" fn release_child_schema(schema: *mut ArrowSchema) {
    (*schema).release = None;
}

unsafe extern "C" fn release_schema(schema: *mut ArrowSchema) {
    drop(Box::from_raw((*schema).private_data as *mut SchemaNodes));
    (*schema).release = None;
}

unsafe extern "C" fn release_child_array(array: *mut ArrowArray) {
    (*array).release = None;
}

unsafe extern "C" fn release_array(array: *mut ArrowArray) {
    drop(Box::from_raw((*array).private_data as *mut BatchData));
    (*array).release = None;
}

unsafe extern "C" fn get_schema(_: *mut ArrowArrayStream, out: *mut ArrowSchema) -> c_int {
    let mut nodes = Box::new(SchemaNodes { child: ArrowSchema::empty(), children: [std::ptr::null_mut()] });
    nodes.child.format = b"l\0".as_ptr() as *const c_char;
    nodes.child.name = b"v\0".as_ptr() as *const c_char;
    nodes.child.release = Some(release_child_schema);
    nodes.children[0] = &mut nodes.child;
    let mut schema = ArrowSchema::empty();
    schema.format = b"+s\0".as_ptr() as *const c_char;
    schema.name = b"\0".as_ptr() as *const c_char;
    schema.n_children = 1;
    schema.children = nodes.children.as_mut_ptr();
    schema.release = Some(release_schema);
    schema.private_data = Box::into_raw(nodes) as *mut c_void;
    std::ptr::write(out, schema);
    0
}

unsafe extern "C" fn get_next(stream: *mut ArrowArrayStream, out: *mut ArrowArray) -> c_int {
    let producer = &mut *((*stream).private_data as *mut Producer);
    std::ptr::write(out, ArrowArray::empty());
    if producer.fail_at == Some(producer.next) {
        return 5;
    }
    if producer.next == producer.batches.len() {
        return 0;
    }
    let values = producer.batches[producer.next].clone();
    producer.next += 1;
    let mut data = Box::new(BatchData {
        values,
        child: ArrowArray::empty(),
        children: [std::ptr::null_mut()],
        child_buffers: [std::ptr::null(); 2],
        top_buffers: [std::ptr::null()],
    });
    let length = data.values.len() as i64;
    data.child_buffers[1] = data.values.as_ptr() as *const c_void;
    data.child.length = length;
    data.child.n_buffers = 2;
    data.child.buffers = data.child_buffers.as_mut_ptr();
    data.child.release = Some(release_child_array);
    data.children[0] = &mut data.child;
    let mut array = ArrowArray::empty();
    array.length = length;
    array.n_buffers = 1;
    array.buffers = data.top_buffers.as_mut_ptr();
    array.n_children = 1;
    array.children = data.children.as_mut_ptr();
    array.release = Some(release_array);
    array.private_data = Box::into_raw(data) as *mut c_void;
    std::ptr::write(out, array);
    0
}

unsafe extern "C" fn get_last_error(_: *mut ArrowArrayStream) -> *const c_char {
    b"the Rust producer failed on purpose\0".as_ptr() as *const c_char
}

unsafe extern "C" fn release_stream(stream: *mut ArrowArrayStream) {
    drop(Box::from_raw((*stream).private_data as *mut Producer));
    (*stream).release = None;
}

fn int64_stream(batches: Vec<Vec<i64>>, fail_at: Option<usize>) -> Stream {
    let producer = Box::new(Producer { batches, next: 0, fail_at });
    let mut raw = ArrowArrayStream {
        get_schema: Some(get_schema),
        get_next: Some(get_next),
        get_last_error: Some(get_last_error),
        release: Some(release_stream),
        private_data: Box::into_raw(producer) as *mut c_void,
    };
    unsafe { Stream::from_raw(&mut raw) }
}

fn sum(mut stream: Stream) -> (i64, usize) {
    assert_eq!(stream.column_formats().unwrap(), vec!["l".to_string()]);
    let (mut total, mut rows) = (0i64, 0usize);
    while let Some(batch) = stream.next_batch().unwrap() {
        total += batch.int64_column(0).iter().sum::<i64>();
        rows += batch.len();
    }
    (total, rows)
}

fn temp(what: &str) -> PathBuf {
    let base = std::env::var_os("ARROWCID_TEST_TMP").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let folder = base.join(format!("arrowcid-rust-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    folder
}

// ---- tests ---------------------------------------------------------------------------------

#[test]
fn the_cid_is_the_rows_not_the_batches() {
    let one = arrowcid::cid_of(int64_stream(vec![(0..3000).collect()], None)).unwrap();
    let three = arrowcid::cid_of(int64_stream(vec![(0..1000).collect(), (1000..2000).collect(), (2000..3000).collect()], None)).unwrap();
    assert_eq!(one, three);
    assert!(one.starts_with("bafkrei"), "{one}");
    assert!(arrowcid::version().contains('.'));
    assert!(arrowcid::isa().starts_with("x86-64"), "{}", arrowcid::isa());
}

#[test]
fn a_failing_producer_is_a_stream_error() {
    let error = arrowcid::cid_of(int64_stream(vec![vec![1], vec![2]], Some(1))).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Stream);
    assert!(error.message.contains("failed on purpose"), "{}", error.message);
}

#[test]
fn put_get_names_and_errors() {
    let folder = temp("repo");
    let repo = Repository::open(Some(&folder)).unwrap();
    let rows: Vec<i64> = (0..200_000).collect();
    let cid = repo.put(int64_stream(vec![rows[..120_000].to_vec(), rows[120_000..].to_vec()], None), Some("ints")).unwrap();
    assert!(cid.starts_with("bafyrei"), "{cid}");
    for reference in [cid.as_str(), "ints", "ints@1"] {
        assert_eq!(sum(repo.get(reference).unwrap()), (rows.iter().sum(), rows.len()));
    }
    assert!(repo.names().unwrap().contains("\"ints\""));
    assert!(repo.log("ints").unwrap().contains(&cid));
    assert_eq!(repo.get("no-such-name").err().unwrap().kind, ErrorKind::NotFound);
    assert_eq!(repo.get("not a name @ all").err().unwrap().kind, ErrorKind::InvalidArgument);
    // A batch outlives its stream and its repository.
    let mut stream = repo.get(&cid).unwrap();
    let batch = stream.next_batch().unwrap().unwrap();
    drop(stream);
    drop(repo);
    assert_eq!(batch.int64_column(0)[0], 0);
    drop(batch);
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn publish_follow_attach() {
    let base = temp("shm");
    let shm = SharedMemory::open(Some(&base), Some("rust")).unwrap();
    let mut cursor = shm.cursor().unwrap();
    let published: Vec<String> = (0..2)
        .map(|k| shm.publish(int64_stream(vec![(k * 1000..k * 1000 + 300_000).collect()], None)).unwrap())
        .collect();
    for (k, expected) in published.iter().enumerate() {
        let cid = shm.next(&mut cursor, Some(Duration::from_secs(5))).unwrap().unwrap();
        assert_eq!(&cid, expected);
        let first = k as i64 * 1000;
        assert_eq!(sum(shm.attach(&cid).unwrap()), ((first..first + 300_000).sum(), 300_000));
    }
    assert_eq!(shm.next(&mut cursor, Some(Duration::ZERO)).unwrap(), None);
    assert_eq!(shm.attach("nope").err().unwrap().kind, ErrorKind::InvalidArgument);
    drop(shm);
    let _ = std::fs::remove_dir_all(&base);
}
