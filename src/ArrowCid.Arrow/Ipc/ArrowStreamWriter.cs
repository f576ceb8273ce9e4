using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Writes the Arrow IPC stream format: the schema, then for each batch any dictionaries it needs
/// (initial, replacement, or delta when enabled and the new dictionary extends the old) and the
/// record batch, and the end-of-stream marker on <see cref="Finish"/>. Body buffers are written
/// from the arrays' own memory without an intermediate copy.
/// </summary>
public class ArrowStreamWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    // Made at the first dictionary sent: most writers (every canonical encoding of a batch) send none.
    private Dictionary<long, (ArrayData Given, ArrayData Copy)>? _sentDictionaries;
    private bool _schemaWritten;
    private bool _finished;

    /// <summary>Creates a writer for <paramref name="schema"/>; nothing is written until the first batch or <see cref="Finish"/>.</summary>
    public ArrowStreamWriter(Stream stream, Schema schema, IpcWriteOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        _stream = stream;
        Schema = schema;
        Options = options ?? IpcWriteOptions.Default;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The schema every batch must have.</summary>
    public Schema Schema { get; }

    /// <summary>The write options.</summary>
    protected IpcWriteOptions Options { get; }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Whether a dictionary may be replaced by a later batch (streams yes, files no).</summary>
    protected virtual bool AllowDictionaryReplacement => true;

    /// <summary>Writes one batch (and the schema first, if not yet written).</summary>
    public void Write(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_finished, this);
        if (!batch.Schema.Equals(Schema))
        {
            throw new ArgumentException("the batch's schema differs from the writer's", nameof(batch));
        }

        EnsureSchema();
        foreach (var (id, values) in MetadataWriter.CollectDictionaries(batch))
        {
            WriteDictionaryIfChanged(id, values);
        }

        Emit(MessageEncoder.EncodeRecordBatch(batch, Options), isRecordBatch: true);
    }

    private void WriteDictionaryIfChanged(long id, ArrayData values)
    {
        if (_sentDictionaries is not null && _sentDictionaries.TryGetValue(id, out var kept))
        {
            // The very object sent before is still the caller's, so still valid: no need to compare.
            var sent = kept.Copy;
            if (ReferenceEquals(kept.Given, values) || ArrayEquality.Equals(sent, values, out _))
            {
                return;
            }

            if (Options.EmitDictionaryDeltas && values.Length > sent.Length && ArrayEquality.Equals(sent, values.Slice(0, sent.Length), out _))
            {
                Emit(MessageEncoder.EncodeDictionary(id, values.Slice(sent.Length, values.Length - sent.Length), true, Options), isRecordBatch: false);
                _sentDictionaries[id] = (values, ArrayConcatenation.Copy(values));
                return;
            }

            if (!AllowDictionaryReplacement)
            {
                throw new InvalidOperationException($"dictionary {id} changed between batches; the IPC file format cannot replace a dictionary");
            }
        }

        Emit(MessageEncoder.EncodeDictionary(id, values, false, Options), isRecordBatch: false);

        // Kept to compare with later batches' dictionaries: a copy, since the caller may dispose
        // this batch (and release the memory its dictionary lives in) once Write returns.
        (_sentDictionaries ??= [])[id] = (values, ArrayConcatenation.Copy(values));
    }

    private void EnsureSchema()
    {
        if (!_schemaWritten)
        {
            _schemaWritten = true;
            WritePreamble(_stream);
            Emit(MessageEncoder.EncodeSchema(Schema, Options), isRecordBatch: false, isSchema: true);
        }
    }

    private void Emit(EncodedMessage message, bool isRecordBatch, bool isSchema = false)
    {
        OnMessage(BytesWritten, message, isRecordBatch, isSchema);
        message.WriteTo(_stream);
        BytesWritten += message.TotalLength;
    }

    /// <summary>Called before anything else is written (files write their magic here).</summary>
    protected virtual void WritePreamble(Stream stream)
    {
    }

    /// <summary>Called for each message with the offset it is written at (files record blocks here).</summary>
    private protected virtual void OnMessage(long offset, EncodedMessage message, bool isRecordBatch, bool isSchema)
    {
    }

    /// <summary>Adds bytes written outside of messages (file magic and footer).</summary>
    protected void CountBytes(long count) => BytesWritten += count;

    /// <summary>Writes the schema if no batch was written, then the end of the stream (or file footer).</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        EnsureSchema();
        WriteEnd(_stream);
        _finished = true;
        _stream.Flush();
    }

    /// <summary>Writes what closes the output.</summary>
    protected virtual void WriteEnd(Stream stream)
    {
        EncodedMessage.WriteEndOfStream(stream);
        CountBytes(8);
    }

    /// <summary>Finishes (if not yet) and disposes the stream unless left open.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Finishes and releases the stream.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Finish();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }
}
