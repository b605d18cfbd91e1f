using System.Net;
using System.Net.Sockets;

namespace Perspective.Testing;

public static class FreePort
{
    /// <summary>
    /// A loopback TCP port nobody listens on right now, from 20000–45000: low enough that the ports RabbitMQ derives
    /// from it (its CLI tools use the distribution port + 10000 … + 10010) stay below 65536.
    /// </summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 45_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        throw new InvalidOperationException("no free loopback port found in 20000–45000");
    }
}
