using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>A block a <see cref="DirectoryBlockStore"/> has written for group commit.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="NeedsSync">True when it was appended to a pack and is durable only after <see cref="DirectoryBlockStore.SyncPacks"/>; false when it has a file of its own, already durable.</param>
public readonly record struct StagedBlock(Cid Cid, long Length, bool NeedsSync);
