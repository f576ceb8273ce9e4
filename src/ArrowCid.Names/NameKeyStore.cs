using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace ArrowCid.Names;

/// <summary>
/// A repository's name keys, as Kubo keeps them: one file a key in the folder's <c>keys/</c>,
/// named as the key is, holding its libp2p protobuf private key, readable by its owner only (0600).
/// The node's own identity (<see cref="SelfFileName"/>, the key behind its peer ID) is the key
/// <see cref="Self"/>, made on first use.
/// </summary>
public sealed partial class NameKeyStore
{
    /// <summary>The key that is the node's identity.</summary>
    public const string Self = "self";

    /// <summary>The node identity's key file in the repository folder (the peer ID's key).</summary>
    public const string SelfFileName = "peer-key";

    private readonly string _repository;
    private readonly string _keys;

    /// <summary>The keys of the repository in <paramref name="repository"/>.</summary>
    public NameKeyStore(string repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _keys = Path.Combine(repository, "keys");
    }

    /// <summary>Makes a key named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a key name, or a key has it.</exception>
    public IpnsName Generate(string name)
    {
        using var key = NameKey.Generate();
        Store(name, key);
        return key.Name;
    }

    /// <summary>Keeps <paramref name="privateKey"/> (a libp2p protobuf private key) as the key <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">Not an Ed25519 libp2p private key.</exception>
    /// <exception cref="ArgumentException">The name is not a key name, or a key has it.</exception>
    public IpnsName Import(string name, ReadOnlySpan<byte> privateKey)
    {
        using var key = NameKey.FromLibp2pPrivateKey(privateKey);
        Store(name, key);
        return key.Name;
    }

    /// <summary>The key <paramref name="name"/>; the caller disposes it.</summary>
    /// <exception cref="KeyNotFoundException">No key has the name.</exception>
    public NameKey Load(string name)
    {
        string path = PathOf(name);
        if (name == Self)
        {
            EnsureSelf();
        }

        if (!File.Exists(path))
        {
            throw new KeyNotFoundException($"no key is named '{name}' (arrowcid key list shows them)");
        }

        byte[] stored = File.ReadAllBytes(path);
        try
        {
            return NameKey.FromLibp2pPrivateKey(stored);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stored);
        }
    }

    /// <summary>Makes the node's identity key (<see cref="SelfFileName"/>) unless the folder has one; of two processes making it at once, the first to move its file in place wins.</summary>
    public void EnsureSelf()
    {
        string path = Path.Combine(_repository, SelfFileName);
        if (!File.Exists(path))
        {
            using var made = NameKey.Generate();
            Write(path, made, replaceRace: true);
        }
    }

    /// <summary>The name of the node's identity key (made on first use), read from the public half its file stores: naming the node derives nothing.</summary>
    /// <exception cref="FormatException">The key file is not an Ed25519 libp2p private key.</exception>
    public IpnsName SelfName()
    {
        EnsureSelf();
        byte[] stored = File.ReadAllBytes(Path.Combine(_repository, SelfFileName));
        try
        {
            return IpnsName.FromPublicKey(NameKey.StoredPublicKey(stored));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stored);
        }
    }

    /// <summary>The key's libp2p protobuf private key, for another program or repository (the caller wipes it).</summary>
    public byte[] Export(string name)
    {
        using var key = Load(name);
        return key.ToLibp2pPrivateKey();
    }

    /// <summary>Every key with its name, <see cref="Self"/> first, then in name order.</summary>
    public IReadOnlyList<(string Name, IpnsName IpnsName)> List()
    {
        var keys = new List<(string, IpnsName)>();
        using (var self = Load(Self))
        {
            keys.Add((Self, self.Name));
        }

        if (Directory.Exists(_keys))
        {
            foreach (string file in Directory.EnumerateFiles(_keys).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (IsKeyName(name))
                {
                    using var key = Load(name);
                    keys.Add((name, key.Name));
                }
            }
        }

        return keys;
    }

    /// <summary>Removes the key <paramref name="name"/> (never <see cref="Self"/>, the node's identity).</summary>
    /// <exception cref="KeyNotFoundException">No key has the name.</exception>
    public void Remove(string name)
    {
        if (name == Self)
        {
            throw new ArgumentException("the key 'self' is the node's identity: it is not removed");
        }

        string path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new KeyNotFoundException($"no key is named '{name}'");
        }

        File.Delete(path);
    }

    /// <summary>When a key last came into or left <c>keys/</c> (the folder's last write), or <see cref="DateTime.MinValue"/> while there is none: a reader that lists the keys lists them again only when this changes.</summary>
    public DateTime ChangedUtc => Directory.Exists(_keys) ? Directory.GetLastWriteTimeUtc(_keys) : DateTime.MinValue;

    /// <summary>Whether <paramref name="name"/> may name a key: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.</summary>
    public static bool IsKeyName(string name) => name is not null && KeyNamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyNamePattern();

    private string PathOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsKeyName(name))
        {
            throw new ArgumentException($"'{name}' is not a key name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
        }

        return name == Self ? Path.Combine(_repository, SelfFileName) : Path.Combine(_keys, name);
    }

    private void Store(string name, NameKey key)
    {
        if (name == Self)
        {
            throw new ArgumentException("'self' is the node's identity: give the key another name");
        }

        string path = PathOf(name);
        Directory.CreateDirectory(_keys);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Write(path, key, replaceRace: false);
    }

    // Written aside (0600) and moved in place without replacing: a key is never overwritten, and a
    // reader sees a whole key or none. Two makers of 'self' at once: the first moved wins.
    private static void Write(string path, NameKey key, bool replaceRace)
    {
        byte[] file = key.ToLibp2pPrivateKey();
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(file);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                if (!replaceRace)
                {
                    throw new ArgumentException($"a key is named '{Path.GetFileName(path)}' already");
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(file);
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
