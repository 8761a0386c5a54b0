using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// Fails loudly when a new ML.NET moves the two internals MLNetAdam opens (Training/MLNetInternals.cs): the
/// cancelled state of a host and the environment of a trainers catalog.
/// </summary>
public sealed class MLNetInternalsTests
{
    [Fact]
    public void TheCancelledStateIsVisibleThroughTheHost()
    {
        var ml = new MLContext(seed: 1);
        var host = ((IHostEnvironment)ml).Register("test");
        var probe = MLNetInternals.CancellationProbe(host);
        Assert.False(probe());
        var cancel = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        Assert.NotNull(cancel); // MLContext.CancelExecution is what AutoML and Microsoft.ML.Experimental call
        cancel!.Invoke(ml, null);
        Assert.True(probe(), "MLContext.CancelExecution no longer reaches hosts registered before it: MLNetInternals.CancellationProbe needs a new door.");
    }

    [Fact]
    public void TheCatalogsEnvironmentIsTheContexts()
    {
        var ml = new MLContext(seed: 1);
        var env = MLNetInternals.CatalogEnvironment(ml.MulticlassClassification.Trainers);
        Assert.NotNull(env);
        // The same environment: cancelling the context reaches a host registered from the catalog's environment.
        var probe = MLNetInternals.CancellationProbe(env.Register("catalog"));
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.Invoke(ml, null);
        Assert.True(probe());
    }

    [Fact]
    public void AnObjectWithoutTheDoorsGetsAClearError()
    {
        var e = Assert.Throws<NotSupportedException>(() => MLNetInternals.CatalogEnvironment(new object()));
        Assert.Contains("Microsoft.ML 5.0.1", e.Message);
    }
}
