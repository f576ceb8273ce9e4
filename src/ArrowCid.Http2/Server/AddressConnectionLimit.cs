using System.Net;
using Microsoft.AspNetCore.Connections;

namespace ArrowCid.Http2.Server;

/// <summary>
/// Caps the connections one client address holds at once, as Kestrel connection middleware put
/// first on a listener (before TLS): a connection past the cap is closed as it arrives, before
/// anything is read from it or allocated for it (closed, as Kestrel closes one past its total cap). Without it one address could take every
/// connection a face allows (<c>MaxConcurrentConnections</c>) and leave none for the others.
/// IPv4 addresses mapped into IPv6 count as the IPv4 address.
/// </summary>
public sealed class AddressConnectionLimit
{
    /// <summary>Puts the cap first on <paramref name="listen"/> when <paramref name="perAddress"/> is given (null: no cap).</summary>
    /// <param name="listen">A listener, before its TLS and protocol middleware are added.</param>
    /// <param name="perAddress">The most connections one address holds at once.</param>
    public static void Apply(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, int? perAddress)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (perAddress is { } cap)
        {
            var limit = new AddressConnectionLimit(cap);
            listen.Use(next => connection => limit.HandleAsync(connection, next));
        }
    }

    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _lock = new();

    /// <summary>A cap of <paramref name="perAddress"/> connections for each address.</summary>
    /// <param name="perAddress">At least 1.</param>
    public AddressConnectionLimit(int perAddress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perAddress, 1);
        PerAddress = perAddress;
    }

    /// <summary>The most connections one address holds at once.</summary>
    public int PerAddress { get; }

    /// <summary>The middleware: counts the connection against its address for as long as it lasts, or closes it when the address is at its cap.</summary>
    /// <param name="connection">The connection arriving.</param>
    /// <param name="next">What serves it.</param>
    public async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(next);
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        IPAddress address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        if (!TryTake(address))
        {
            // Returning unserved closes it, as Kestrel closes one past MaxConcurrentConnections.
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Release(address);
        }
    }

    private bool TryTake(IPAddress address)
    {
        lock (_lock)
        {
            int open = _open.GetValueOrDefault(address);
            if (open >= PerAddress)
            {
                return false;
            }

            _open[address] = open + 1;
            return true;
        }
    }

    private void Release(IPAddress address)
    {
        lock (_lock)
        {
            int open = _open[address] - 1;
            if (open == 0)
            {
                _open.Remove(address);
            }
            else
            {
                _open[address] = open;
            }
        }
    }
}
