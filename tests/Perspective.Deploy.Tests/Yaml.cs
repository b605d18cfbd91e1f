using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Perspective.Deploy.Tests;

/// <summary>
/// YAML to JSON the way Helm reads values (YAML 1.1 through sigs.k8s.io/yaml): a plain scalar that looks like a number,
/// boolean or null is one; a quoted scalar is always a string. That typing is what values.schema.json is checked against.
/// </summary>
public static partial class Yaml
{
    public static IReadOnlyList<YamlDocument> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents];
    }

    public static JsonNode? ToJson(string text)
    {
        var documents = LoadAll(text);
        return documents.Count == 0 ? null : ToJson(documents[0].RootNode);
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(value);
        }
        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (BooleanTrue().IsMatch(value))
        {
            return JsonValue.Create(true);
        }
        if (BooleanFalse().IsMatch(value))
        {
            return JsonValue.Create(false);
        }
        if (Integer().IsMatch(value) && long.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^(true|True|TRUE|yes|Yes|YES|on|On|ON|y|Y)$")]
    private static partial Regex BooleanTrue();

    [GeneratedRegex("^(false|False|FALSE|no|No|NO|off|Off|OFF|n|N)$")]
    private static partial Regex BooleanFalse();

    [GeneratedRegex("^[-+]?[0-9][0-9_]*$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?([0-9][0-9_]*)?\.[0-9]*([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")]
    private static partial Regex Float();
}
