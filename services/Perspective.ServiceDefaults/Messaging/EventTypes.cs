using System.Reflection;
using Perspective.Contracts.Events;

namespace Perspective.ServiceDefaults.Messaging;

/// <summary>
/// The event types an outbox row may name: every <see cref="IIntegrationEvent"/> in the contracts and in the
/// service's own assembly. Rows name types by full name; nothing outside this list is ever loaded.
/// </summary>
public sealed class EventTypes
{
    private readonly Dictionary<string, Type> byName;

    public EventTypes(ServiceInfo service)
    {
        byName = new[] { typeof(IIntegrationEvent).Assembly, service.Assembly }
            .Distinct()
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IIntegrationEvent).IsAssignableFrom(t))
            .ToDictionary(t => t.FullName!, StringComparer.Ordinal);
    }

    public static string NameOf(Type type) => type.FullName!;

    public Type Resolve(string name) =>
        byName.TryGetValue(name, out var type)
            ? type
            : throw new InvalidOperationException($"Outbox row names unknown event type {name}.");
}
