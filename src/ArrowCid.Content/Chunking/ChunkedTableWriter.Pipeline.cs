using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using ArrowCid.Arrow.Arrays;

namespace ArrowCid.Content.Chunking;

public sealed partial class ChunkedTableWriter
{
    /// <summary>
    /// <see cref="AddAll"/>'s four stages: batches prepared (normalised, row-hashed) on workers; cut
    /// into chunks in order on the caller's thread; chunks written on workers; written chunks
    /// committed and linked into the tree in order on one committing thread, so registering a
    /// chunk never holds up cutting the next. Bounded: at most <c>workers</c> batches preparing
    /// and twice as many chunks written and not yet committed.
    /// </summary>
    private sealed class Pipeline : IDisposable
    {
        /// <summary>Rows of a large batch prepared as one piece, as the chunker itself does.</summary>
        private const int SliceRows = TableChunker.PrepareSliceRows;

        private readonly ChunkedTableWriter _writer;
        private readonly IPipelinedChunkSink _sink;
        private readonly int _workers;
        private readonly Queue<Incoming> _preparing = new();

        // Batches taken in by the chunker, oldest first, each with the number of chunk writes that
        // must be committed before it may be let go (set once the chunker no longer holds its rows).
        private readonly List<Incoming> _held = [];
        private BlockingCollection<Task<PendingChunk>>? _writing;
        private Task? _committer;
        // Set by the committing thread, read by the caller's.
        private volatile ExceptionDispatchInfo? _commitFailure;
        private long _started;
        private long _committed;

        public Pipeline(ChunkedTableWriter writer, IPipelinedChunkSink sink, int workers)
        {
            _writer = writer;
            _sink = sink;
            _workers = workers;
        }

        /// <summary>
        /// Checks a batch, holds it and starts preparing it, a large one in slices of
        /// <see cref="SliceRows"/> rows (so one huge batch still spreads over the cores; chunks do
        /// not depend on batching); takes in the oldest when enough are ahead.
        /// </summary>
        public void Add(RecordBatch batch)
        {
            _writer._chunker.CheckBatch(batch);
            // A batch leased without a shared owner cannot be kept alive past its producer's dispose: finish with it now.
            bool finishNow = batch.IsLeased && batch.Owner is null;
            int slices = batch.Length <= 2 * SliceRows ? 1 : (batch.Length + SliceRows - 1) / SliceRows;
            for (int s = 0; s < slices; s++)
            {
                var part = slices == 1 ? batch : batch.Slice(s * SliceRows, Math.Min(SliceRows, batch.Length - (s * SliceRows)));
                var incoming = new Incoming(part, batch.Owner?.Acquire());
                _preparing.Enqueue(incoming);
                incoming.Prepared = Task.Run(() => TableChunker.Prepare(part));
                while (_preparing.Count > _workers)
                {
                    TakeOldest();
                }
            }

            if (finishNow)
            {
                Complete();
            }
        }

        /// <summary>Takes in every batch still preparing, commits every chunk, and copies the rows held for the next chunk when the writer detaches.</summary>
        public void Complete()
        {
            while (_preparing.Count > 0)
            {
                TakeOldest();
            }

            StopCommitter();
            _commitFailure?.Throw();

            // The rows held for the next chunk must outlive the batches about to be let go.
            if (_writer._detach)
            {
                _writer._chunker.Detach();
                _held.ForEach(h => h.Release());
                _held.Clear();
            }
            else
            {
                ReleaseCommitted();
            }
        }

        /// <summary>After a failure too: waits for every worker, so none touches a batch once the caller has it back, and lets every batch go.</summary>
        public void Dispose()
        {
            while (_preparing.TryDequeue(out var incoming))
            {
                var task = incoming.Prepared!;
                ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
                if (task.IsCompletedSuccessfully)
                {
                    task.Result.Discard();
                }

                incoming.Release();
            }

            StopCommitter();
            _held.ForEach(h => h.Release());
            _held.Clear();
        }

        private void TakeOldest()
        {
            var incoming = _preparing.Peek();
            TableChunker.Prepared prepared;
            try
            {
                prepared = incoming.Prepared!.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                _writer._chunker.Fail(e);
                throw;
            }

            _preparing.Dequeue();
            _held.Add(incoming);
            var chunks = _writer._chunker.AddPrepared(incoming.Batch, prepared);
            if (chunks.Count > 0)
            {
                var writing = StartCommitter();
                foreach (var chunk in chunks)
                {
                    // Blocks while the committer is that far behind.
                    writing.Add(Task.Run(() => _sink.WriteChunk(chunk)));
                    _started++;
                }
            }

            _commitFailure?.Throw();

            // Batches whose rows are all in chunks now may go once those chunks are committed.
            foreach (var held in _held)
            {
                if (held.FreeAfter < 0 && !_writer._chunker.Holds(held.Batch))
                {
                    held.FreeAfter = _started;
                }
            }

            ReleaseCommitted();
        }

        private BlockingCollection<Task<PendingChunk>> StartCommitter()
        {
            if (_writing is { } writing)
            {
                return writing;
            }

            writing = new BlockingCollection<Task<PendingChunk>>(2 * _workers);
            _writing = writing;
            _committer = Task.Factory.StartNew(() => Commit(writing), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return writing;
        }

        /// <summary>The committing thread: each written chunk in order, made final and linked; after a failure only waits for and drops the rest.</summary>
        private void Commit(BlockingCollection<Task<PendingChunk>> writing)
        {
            foreach (var task in writing.GetConsumingEnumerable())
            {
                if (_commitFailure is not null)
                {
                    Drop(task);
                    continue;
                }

                try
                {
                    _writer.Link(_sink.CommitChunk(task.GetAwaiter().GetResult()));
                    Interlocked.Increment(ref _committed);
                }
                catch (Exception e)
                {
                    _commitFailure = ExceptionDispatchInfo.Capture(e);
                }
            }
        }

        private static void Drop(Task<PendingChunk> task)
        {
            ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
            if (task.IsCompletedSuccessfully)
            {
                task.Result.Dispose();
            }
        }

        /// <summary>Lets the committer finish every chunk handed to it and waits for it (a later chunk starts a new one).</summary>
        private void StopCommitter()
        {
            if (_writing is { } writing)
            {
                writing.CompleteAdding();
                _committer!.GetAwaiter().GetResult();
                writing.Dispose();
                _writing = null;
                _committer = null;
            }
        }

        private void ReleaseCommitted()
        {
            long committed = Interlocked.Read(ref _committed);
            int free = 0;
            while (free < _held.Count && _held[free].FreeAfter >= 0 && _held[free].FreeAfter <= committed)
            {
                _held[free++].Release();
            }

            _held.RemoveRange(0, free);
        }
    }

    /// <summary>A batch in the pipeline: the reference on its memory the pipeline holds, its preparation, and when it may go.</summary>
    private sealed class Incoming(RecordBatch batch, IDisposable? hold)
    {
        private IDisposable? _hold = hold;

        public RecordBatch Batch { get; } = batch;

        public Task<TableChunker.Prepared>? Prepared { get; set; }

        /// <summary>Chunk writes that must be committed before the batch may go; -1 while the chunker holds its rows.</summary>
        public long FreeAfter { get; set; } = -1;

        public void Release() => Interlocked.Exchange(ref _hold, null)?.Dispose();
    }
}
