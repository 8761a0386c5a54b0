using System.Reflection;
using NetArchTest.Rules;
using Xunit;

namespace MLNetAdam.Tests.Architecture;

/// <summary>
/// The library's layering as rules that fail: each folder (namespace) may use only the folders below it. From the
/// ground up: Numerics; Optimizers and Schedules; Data and Persistence; Model; Training. The rules read the compiled
/// assembly's IL, so any use of a type counts (a field, a call, a base class, a generic argument), not a <c>using</c> alone.
/// </summary>
public sealed class LayeringTests
{
    private const string Numerics = "MLNetAdam.Numerics";
    private const string Optimizers = "MLNetAdam.Optimizers";
    private const string Schedules = "MLNetAdam.Schedules";
    private const string Data = "MLNetAdam.Data";
    private const string Persistence = "MLNetAdam.Persistence";
    private const string Model = "MLNetAdam.Model";
    private const string Training = "MLNetAdam.Training";
    private const string Distributed = "MLNetAdam.Distributed";

    private static readonly Assembly Library = typeof(MLNetAdam.Training.AdamMlpTrainer).Assembly;

    /// <summary>Each layer and the namespaces of ours it must never use.</summary>
    public static TheoryData<string, string[]> ForbiddenArrows => new()
    {
        { Numerics, [Optimizers, Schedules, Data, Persistence, Model, Training, Distributed] },
        { Optimizers, [Schedules, Data, Persistence, Model, Training, Distributed] },
        { Schedules, [Optimizers, Data, Persistence, Model, Training, Distributed] },
        { Data, [Optimizers, Schedules, Persistence, Model, Training, Distributed] },
        { Persistence, [Optimizers, Schedules, Data, Model, Training, Distributed] },
        { Model, [Schedules, Training, Distributed] },
        { Distributed, [Optimizers, Schedules, Data, Persistence, Model, Training] },
    };

    [Theory]
    [MemberData(nameof(ForbiddenArrows))]
    public void NoArrowRunsUpOrSideways(string layer, string[] forbidden)
    {
        var result = Types.InAssembly(Library).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        var offenders = result.FailingTypes?.Select(t => t.FullName) ?? [];
        Assert.True(result.IsSuccessful, $"{layer} must not use {string.Join(", ", forbidden)}; these types do: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void EveryTypeLivesInALayer()
    {
        // A new folder must be placed in the layering (and given its rules above) before it can hold code. The catalog
        // extensions live in Microsoft.ML, as ML.NET's own trainer packages put theirs.
        string[] layers = [Numerics, Optimizers, Schedules, Data, Persistence, Model, Training, Distributed, "Microsoft.ML"];
        var strays = Library.GetTypes()
            .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("System", StringComparison.Ordinal) && !t.Namespace.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .Where(t => !layers.Any(l => t.Namespace == l || t.Namespace!.StartsWith(l + ".", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToArray();
        Assert.True(strays.Length == 0, $"Types outside every layer: {string.Join(", ", strays)}");
    }

    [Fact]
    public void TheRulesSeeTheLayers()
    {
        // Guards the rules themselves: each layer has types, and a known downward arrow is seen as a dependency
        // (so an empty match cannot make every rule pass vacuously).
        foreach (string layer in new[] { Numerics, Optimizers, Schedules, Data, Persistence, Model, Training, Distributed })
            Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespace(layer).GetTypes());
        Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespace(Model).And().HaveDependencyOn(Numerics).GetTypes());
        Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespace(Training).And().HaveDependencyOn(Persistence).GetTypes());
    }
}
