using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;

// Usage:
//   wait-healthy [--timeout-seconds N] name=http://127.0.0.1:5101 ...   exit 0 when all report SERVING (readiness and
//                                                                       broker), 1 on timeout
//   token --sub ACCOUNT [--role ROLE]... [--hours N]                     prints a development bearer token
return args.FirstOrDefault() switch
{
    "wait-healthy" => await WaitHealthyAsync(args[1..]),
    "token" => Token(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: wait-healthy [--timeout-seconds N] name=address ... | token --sub ACCOUNT [--role ROLE]... [--hours N]");
    return 2;
}

static async Task<int> WaitHealthyAsync(string[] args)
{
    var timeout = TimeSpan.FromSeconds(120);
    var targets = new List<(string Name, string Address)>();
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == "--timeout-seconds" && i + 1 < args.Length)
        {
            timeout = TimeSpan.FromSeconds(int.Parse(args[++i], CultureInfo.InvariantCulture));
        }
        else if (args[i].Split('=', 2) is [var name, var address])
        {
            targets.Add((name, address));
        }
        else
        {
            return Usage();
        }
    }

    var clock = Stopwatch.StartNew();
    var pending = targets.ToList();
    while (pending.Count > 0)
    {
        foreach (var target in pending.ToList())
        {
            var status = await CheckAsync(target.Address);
            if (status == "SERVING")
            {
                Console.WriteLine($"  {target.Name,-10} {target.Address,-24} SERVING after {clock.Elapsed.TotalSeconds:0.0} s");
                pending.Remove(target);
            }
        }
        if (pending.Count == 0)
        {
            break;
        }
        if (clock.Elapsed > timeout)
        {
            foreach (var target in pending)
            {
                Console.Error.WriteLine($"  {target.Name,-10} {target.Address,-24} {await CheckAsync(target.Address)} (gave up after {timeout.TotalSeconds:0} s)");
            }
            return 1;
        }
        await Task.Delay(500);
    }
    return 0;
}

// Healthy = readiness and "broker" both SERVING: readiness ignores a broker outage after the first connection, and the
// stack is up only once events flow.
static async Task<string> CheckAsync(string address)
{
    try
    {
        using var channel = GrpcChannel.ForAddress(address);
        var health = new Health.HealthClient(channel);
        foreach (var (service, what) in new[] { ("", "readiness"), ("broker", "broker") })
        {
            var response = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(3));
            if (response.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                return $"{what} {response.Status.ToString().ToUpperInvariant()}";
            }
        }
        return "SERVING";
    }
    catch (RpcException ex)
    {
        return $"unreachable ({ex.StatusCode})";
    }
}

static int Token(string[] args)
{
    string? subject = null;
    var roles = new List<string>();
    var hours = 8;
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        switch (args[i])
        {
            case "--sub": subject = args[i + 1]; break;
            case "--role": roles.Add(args[i + 1]); break;
            case "--hours": hours = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            default: return Usage();
        }
    }
    if (string.IsNullOrWhiteSpace(subject) || args.Length % 2 != 0)
    {
        return Usage();
    }
    if (roles.Count == 0)
    {
        roles.Add(Roles.User);
    }
    var unknown = roles.Where(r => !Roles.All.Contains(r)).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown role {string.Join(", ", unknown)}; roles are {string.Join(", ", Roles.All)}");
        return 2;
    }

    var key = Environment.GetEnvironmentVariable("PERSPECTIVE_SIGNING_KEY") ?? AuthOptions.DevelopmentSigningKey;
    var claims = new List<Claim> { new("sub", subject) };
    claims.AddRange(roles.Select(r => new Claim("role", r)));
    Console.WriteLine(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity(claims),
        Issuer = "perspective",
        Audience = "perspective",
        Expires = DateTime.UtcNow.AddHours(hours),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
    }));
    return 0;
}
