using ArrowCid.Arrow.Arrays;

namespace ArrowCid.Content.Chunking;

public sealed partial class ChunkedTableWriter
{
    /// <summary>
    /// <see cref="AddAll"/>'s three stages: batches prepared (normalised, row-hashed) on workers,
    /// cut into chunks in order on the caller's thread, chunks written on workers and committed in
    /// order. Bounded: at most <c>workers</c> batches preparing and twice as many chunks writing.
    /// </summary>
    private sealed class Pipeline(ChunkedTableWriter writer, IPipelinedChunkSink sink, int workers) : IDisposable
    {
        /// <summary>Rows of a large batch prepared as one piece.</summary>
        private const int SliceRows = 65_536;

        private readonly Queue<Incoming> _preparing = new();
        private readonly Queue<Task<PendingChunk>> _writing = new();

        // Batches taken in by the chunker, oldest first, each with the number of chunk writes that
        // must be committed before it may be let go (set once the chunker no longer holds its rows).
        private readonly List<Incoming> _held = [];
        private long _started;
        private long _committed;

        /// <summary>
        /// Checks a batch, holds it and starts preparing it, a large one in slices of
        /// <see cref="SliceRows"/> rows (so one huge batch still spreads over the cores; chunks do
        /// not depend on batching); takes in the oldest when enough are ahead.
        /// </summary>
        public void Add(RecordBatch batch)
        {
            writer._chunker.CheckBatch(batch);
            // A batch leased without a shared owner cannot be kept alive past its producer's dispose: finish with it now.
            bool finishNow = batch.IsLeased && batch.Owner is null;
            int slices = batch.Length <= 2 * SliceRows ? 1 : (batch.Length + SliceRows - 1) / SliceRows;
            for (int s = 0; s < slices; s++)
            {
                var part = slices == 1 ? batch : batch.Slice(s * SliceRows, Math.Min(SliceRows, batch.Length - (s * SliceRows)));
                var incoming = new Incoming(part, batch.Owner?.Acquire());
                _preparing.Enqueue(incoming);
                incoming.Prepared = Task.Run(() => TableChunker.Prepare(part));
                while (_preparing.Count > workers)
                {
                    TakeOldest();
                }
            }

            if (finishNow)
            {
                Complete();
            }
        }

        /// <summary>Takes in every batch still preparing and commits every chunk still writing.</summary>
        public void Complete()
        {
            while (_preparing.Count > 0)
            {
                TakeOldest();
            }

            while (_writing.Count > 0)
            {
                CommitOldest();
            }

            // The rows held for the next chunk must outlive the batches about to be let go.
            if (writer._detach)
            {
                writer._chunker.Detach();
                _held.ForEach(h => h.Release());
                _held.Clear();
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

            while (_writing.TryDequeue(out var task))
            {
                ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
                if (task.IsCompletedSuccessfully)
                {
                    task.Result.Dispose();
                }
            }

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
                writer._chunker.Fail(e);
                throw;
            }

            _preparing.Dequeue();
            _held.Add(incoming);
            var chunks = writer._chunker.AddPrepared(incoming.Batch, prepared);
            foreach (var chunk in chunks)
            {
                while (_writing.Count >= 2 * workers)
                {
                    CommitOldest();
                }

                _writing.Enqueue(Task.Run(() => sink.WriteChunk(chunk)));
                _started++;
            }

            // Batches whose rows are all in chunks now may go once those chunks are committed.
            foreach (var held in _held)
            {
                if (held.FreeAfter < 0 && !writer._chunker.Holds(held.Batch))
                {
                    held.FreeAfter = _started;
                }
            }

            ReleaseCommitted();
        }

        private void CommitOldest()
        {
            var written = _writing.Dequeue().GetAwaiter().GetResult();
            writer.Link(sink.CommitChunk(written));
            _committed++;
            ReleaseCommitted();
        }

        private void ReleaseCommitted()
        {
            int free = 0;
            while (free < _held.Count && _held[free].FreeAfter >= 0 && _held[free].FreeAfter <= _committed)
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
