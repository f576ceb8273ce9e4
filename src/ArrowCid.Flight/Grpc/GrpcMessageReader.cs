using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace ArrowCid.Flight.Grpc;

/// <summary>
/// Reads length-prefixed protobuf messages from a pipe (a request body on the server, a response
/// body on the client). Every malformation becomes an <see cref="RpcException"/>: a prefix problem as
/// the frame decoder says, a truncated stream or an unparseable message as <see cref="StatusCode.Internal"/>.
/// Once it has failed it keeps failing with the same exception.
/// </summary>
internal sealed class GrpcMessageReader<T> : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private readonly PipeReader _reader;
    private readonly MessageParser<T> _parser;
    private readonly int _maxMessageLength;
    private readonly CancellationToken _callToken;
    private T? _current;
    private RpcException? _failure;
    private bool _ended;

    public GrpcMessageReader(PipeReader reader, MessageParser<T> parser, int maxMessageLength, CancellationToken callToken)
    {
        _reader = reader;
        _parser = parser;
        _maxMessageLength = maxMessageLength;
        _callToken = callToken;
    }

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_ended)
        {
            return false;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_callToken, cancellationToken);
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(linked.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            SequencePosition examined = buffer.End;
            try
            {
                if (GrpcFrame.TryRead(ref buffer, _maxMessageLength, out ReadOnlySequence<byte> payload))
                {
                    consumed = buffer.Start;
                    examined = consumed; // More whole messages may already be buffered.
                    _current = Parse(payload);
                    return true;
                }

                if (result.IsCompleted)
                {
                    consumed = buffer.End;
                    if (buffer.Length > 0)
                    {
                        throw new RpcException(
                            StatusCode.Internal,
                            $"the stream ended inside a message ({buffer.Length} bytes of an incomplete message left)");
                    }

                    _ended = true;
                    return false;
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("reading the message stream was cancelled");
                }
            }
            catch (RpcException e)
            {
                _failure = e;
                throw;
            }
            finally
            {
                // Parse has copied what it needs, so the pipe may reuse everything up to 'consumed'.
                _reader.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>Whether the stream has ended cleanly.</summary>
    public bool HasEnded => _ended;

    private T Parse(ReadOnlySequence<byte> payload)
    {
        try
        {
            return _parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"cannot parse a {typeof(T).Name} message: {e.Message}");
        }
    }
}
