namespace ArrowCid.Node;

/// <summary>
/// Wakes subscribers when the registry may have new changes: puts on this node, a PostgreSQL
/// NOTIFY from another node. Waiters take the current task before reading the change feed, so a
/// change committed between their read and their wait still wakes them.
/// </summary>
public sealed class ChangeNotifier
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when <see cref="Notify"/> is next called.</summary>
    public Task NextAsync() => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every waiter.</summary>
    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
