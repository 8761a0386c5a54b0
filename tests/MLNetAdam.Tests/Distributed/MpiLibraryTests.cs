using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Distributed;

public sealed class MpiLibraryTests
{
    [Fact]
    public void AMissingMpiLibraryNamesThePackagesToInstall()
    {
        var e = Assert.Throws<DllNotFoundException>(() => MLNetAdam.Distributed.MpiLibrary.Load(["libmpi-that-does-not-exist.so.99"]));
        Assert.Contains("openmpi-bin", e.Message);
        Assert.Contains("libopenmpi-dev", e.Message);
        Assert.Contains("mpirun", e.Message);
    }

    [Fact]
    public void TheLibraryTrainsWithoutEverLoadingMpi()
    {
        // Nothing but MpiCommunicator.World loads libmpi: a whole training run leaves it unloaded.
        var ml = new Microsoft.ML.MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(Training.SyntheticData.Blobs(10, 1));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], NumberOfEpochs = 2 }).Fit(data);
        Assert.DoesNotContain(System.Diagnostics.Process.GetCurrentProcess().Modules.Cast<System.Diagnostics.ProcessModule>(), m => m.ModuleName.StartsWith("libmpi", StringComparison.Ordinal));
    }
}
