using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetAdam.Training;

/// <summary>
/// The two doors ML.NET 5.0.1 keeps internal that an ML.NET trainer package needs, opened by reflection in this one
/// file (tests/MLNetAdam.Tests/Training/MLNetInternalsTests.cs fails loudly when a new ML.NET moves them):
/// <list type="number">
/// <item>The cancelled state. <c>MLContext.CancelExecution()</c> (how AutoML ends its trials; public only through the
/// Microsoft.ML.Experimental package) marks the environment and every host registered from it through the internal
/// interface <c>Microsoft.ML.Runtime.ICancelable</c>, whose <c>IsCanceled</c> ML.NET's own trainers poll.</item>
/// <item>A catalog's environment. <c>mlContext.MulticlassClassification.Trainers</c> holds the context's environment
/// behind the internal interface <c>Microsoft.ML.Data.IInternalCatalog</c>; a catalog extension needs it to build a trainer.</item>
/// </list>
/// Nothing else in the library uses non-public ML.NET members.
/// </summary>
internal static class MLNetInternals
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>
    /// A probe that says whether <c>CancelExecution</c> was called on the environment <paramref name="host"/> was
    /// registered from (checked every mini-batch). Throws <see cref="NotSupportedException"/> when ML.NET no longer has the door.
    /// </summary>
    public static Func<bool> CancellationProbe(IHostEnvironment host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cancelable = host.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Microsoft.ML.Runtime.ICancelable")
            ?? throw Moved($"{host.GetType().FullName} no longer implements Microsoft.ML.Runtime.ICancelable");
        var property = cancelable.GetProperty("IsCanceled", Instance)
            ?? throw Moved("Microsoft.ML.Runtime.ICancelable has no IsCanceled property");
        var getter = property.GetGetMethod(nonPublic: true) ?? throw Moved("ICancelable.IsCanceled has no getter");
        return getter.CreateDelegate<Func<bool>>(host);
    }

    /// <summary>The environment of an ML.NET trainers catalog (e.g. <c>mlContext.MulticlassClassification.Trainers</c>).</summary>
    public static IHostEnvironment CatalogEnvironment(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var internalCatalog = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Microsoft.ML.Data.IInternalCatalog")
            ?? throw Moved($"{catalog.GetType().FullName} no longer implements Microsoft.ML.Data.IInternalCatalog");
        var property = internalCatalog.GetProperty("Environment", Instance)
            ?? throw Moved("Microsoft.ML.Data.IInternalCatalog has no Environment property");
        return property.GetValue(catalog) as IHostEnvironment
            ?? throw Moved("IInternalCatalog.Environment is not an IHostEnvironment");
    }

    private static NotSupportedException Moved(string what) =>
        new($"This version of ML.NET ({typeof(MLContext).Assembly.GetName().Version}) changed an internal MLNetAdam relies on: {what}. "
            + "MLNetAdam is built against Microsoft.ML 5.0.1; update MLNetAdam or pin Microsoft.ML 5.0.1.");
}
