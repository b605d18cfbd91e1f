using System.Reflection;

namespace Perspective.ServiceDefaults;

/// <summary>Who a service is: its short name (telemetry, queues, database) and the assembly holding its migrations and consumers.</summary>
public sealed record ServiceInfo(string Name, Assembly Assembly)
{
    public string Version { get; } =
        Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
