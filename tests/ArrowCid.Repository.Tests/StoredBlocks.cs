using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;

namespace ArrowCid.Repository.Tests;

/// <summary>Damage done behind a store's back to a block wherever it lies: its own file, or its record in a pack.</summary>
public static class StoredBlocks
{
    /// <summary>Flips one bit of the block's bytes in place (the pack or the file keeps its length).</summary>
    public static void FlipBit(DirectoryBlockStore store, Cid cid, int index = -20, byte mask = 0x5a)
    {
        if (store.TryGetPacked(cid, out var packed))
        {
            using var pack = new FileStream(store.Packs.PathOf(packed.Pack), FileMode.Open, FileAccess.ReadWrite);
            long at = packed.Offset + ((index % packed.Length) + packed.Length) % packed.Length;
            pack.Position = at;
            int value = pack.ReadByte();
            pack.Position = at;
            pack.WriteByte((byte)(value ^ mask));
            return;
        }

        string path = store.GetBlockPath(cid);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[((index % bytes.Length) + bytes.Length) % bytes.Length] ^= mask;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// Replaces the block's bytes: a file is rewritten with <paramref name="damaged"/>; a packed
    /// record keeps its length, so the damaged bytes are written over it (cut or padded with zeros; bytes only appended change the last byte).
    /// </summary>
    public static void Overwrite(DirectoryBlockStore store, Cid cid, byte[] damaged)
    {
        if (store.TryGetPacked(cid, out var packed))
        {
            byte[] sameLength = new byte[packed.Length];
            damaged.AsSpan(0, Math.Min(damaged.Length, sameLength.Length)).CopyTo(sameLength);
            byte[] current = new byte[packed.Length];
            Assert.True(store.Packs.TryRead(packed, current));
            if (current.AsSpan().SequenceEqual(sameLength))
            {
                // Damage that only added bytes past the end: in a pack the next record lies there, so change the last byte instead.
                sameLength[^1] ^= 0xff;
            }

            using var pack = new FileStream(store.Packs.PathOf(packed.Pack), FileMode.Open, FileAccess.ReadWrite);
            pack.Position = packed.Offset;
            pack.Write(sameLength);
            return;
        }

        File.WriteAllBytes(store.GetBlockPath(cid), damaged);
    }
}
