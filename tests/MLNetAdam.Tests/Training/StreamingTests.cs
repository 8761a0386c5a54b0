using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class StreamingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-streaming-").FullName;
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private IDataView Blobs(int perClass, int seed)
    {
        var data = _ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, seed));
        return _ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static AdamMlpTrainer.Options Options(TrainingDataMode mode, bool shuffle = true, int buffer = 10_000) => new()
    {
        HiddenLayerSizes = [8],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 16,
        NumberOfEpochs = 4,
        Seed = 3,
        Shuffle = shuffle,
        DataMode = mode,
        ShuffleBufferSize = buffer,
    };

    [Fact]
    public void WithoutShufflingStreamingTrainsTheSameModelAsInMemory()
    {
        var data = Blobs(30, 1);
        var inMemory = new AdamMlpTrainer(_ml, Options(TrainingDataMode.InMemory, shuffle: false)).Fit(data).Model;
        var streamed = new AdamMlpTrainer(_ml, Options(TrainingDataMode.Streaming, shuffle: false)).Fit(data).Model;
        Assert.Equal(inMemory.GetParameters(), streamed.GetParameters());
        Assert.Equal(inMemory.TrainingHistory.Select(h => h.TrainingLoss), streamed.TrainingHistory.Select(h => h.TrainingLoss));
    }

    [Fact]
    public void SparseRowsStreamLikeTheyTrainInMemory()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(SyntheticData.Sparse(200, seed: 4)));
        var inMemory = new AdamMlpTrainer(ml, Options(TrainingDataMode.InMemory, shuffle: false)).Fit(data).Model;
        var streamed = new AdamMlpTrainer(ml, Options(TrainingDataMode.Streaming, shuffle: false)).Fit(data).Model;
        Assert.Equal(inMemory.GetParameters(), streamed.GetParameters());
    }

    [Fact]
    public void AFileStreamedThroughASmallShuffleBufferTrainsWell()
    {
        // Written once with SaveAsBinary, as a data set too large for memory would be; sorted by label, the worst case
        // for a local shuffle, and a buffer of a quarter of the rows still mixes the classes within each batch enough.
        var rows = SyntheticData.Blobs(100, 1).OrderBy(r => r.Label).ToList();
        string path = Path.Combine(_folder, "train.idv");
        var raw = _ml.Data.LoadFromEnumerable(rows);
        var keyed = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        using (var file = File.Create(path))
            _ml.Data.SaveAsBinary(keyed.Transform(raw), file);
        var onDisk = _ml.Data.LoadFromBinary(path);

        var messages = new List<string>();
        _ml.Log += (_, e) => messages.Add(e.Message);
        var model = new AdamMlpTrainer(_ml, Options(TrainingDataMode.Streaming, buffer: 75)).Fit(onDisk);
        Assert.Contains(messages, m => m.Contains("shuffle buffer", StringComparison.Ordinal));
        Assert.Equal(4, model.Model.TrainingHistory.Count);
        Assert.All(model.Model.TrainingHistory, h => Assert.Equal(300 / 16 + 1, h.Evaluations));
        var test = keyed.Transform(_ml.Data.LoadFromEnumerable(SyntheticData.Blobs(20, 2)));
        Assert.True(_ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy > 0.9);

        // The shuffle is seeded: the same run again gives the same weights; another buffer size another order.
        Assert.Equal(model.Model.GetParameters(), new AdamMlpTrainer(_ml, Options(TrainingDataMode.Streaming, buffer: 75)).Fit(onDisk).Model.GetParameters());
        Assert.NotEqual(model.Model.GetParameters(), new AdamMlpTrainer(_ml, Options(TrainingDataMode.Streaming, buffer: 50)).Fit(onDisk).Model.GetParameters());
    }

    [Fact]
    public void StreamedRowsThatCannotBeUsedAreSkippedAndCounted()
    {
        var rows = SyntheticData.Blobs(10, 1);
        rows[3].Features[0] = float.NaN;
        rows[7].Weight = -2;
        var raw = _ml.Data.LoadFromEnumerable(rows);
        var data = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var warnings = new List<string>();
        _ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) warnings.Add(e.Message); };
        var options = Options(TrainingDataMode.Streaming);
        options.ExampleWeightColumnName = "Weight";
        var model = new AdamMlpTrainer(_ml, options).Fit(data);
        Assert.Contains(warnings, w => w.Contains("Skipped 2 streamed training rows", StringComparison.Ordinal));
        Assert.All(model.Model.TrainingHistory, h => Assert.Equal(2, h.Evaluations)); // 28 usable rows, batches of 16
    }

    [Fact]
    public void AStreamedRunResumesExactlyFromItsCheckpoint()
    {
        var data = Blobs(30, 1);
        var options = Options(TrainingDataMode.Streaming, buffer: 20);
        options.NumberOfEpochs = 6;
        var uninterrupted = new AdamMlpTrainer(_ml, options).Fit(data).Model;

        string path = Path.Combine(_folder, "stream.ckpt");
        var first = Options(TrainingDataMode.Streaming, buffer: 20);
        first.NumberOfEpochs = 3;
        first.CheckpointPath = path;
        new AdamMlpTrainer(_ml, first).Fit(data);
        var resumed = new AdamMlpTrainer(_ml, options).Fit(data, TrainingCheckpoint.Load(path)).Model;
        Assert.Equal(uninterrupted.GetParameters(), resumed.GetParameters());
    }

    [Fact]
    public void BatchOptimizersRefuseToStream()
    {
        var options = Options(TrainingDataMode.Streaming);
        options.Optimizer = new LbfgsOptimizer();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(_ml, options));
        Assert.Equal("DataMode", e.ParamName);
        var buffer = Options(TrainingDataMode.Streaming, buffer: 0);
        Assert.Equal("ShuffleBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(_ml, buffer)).ParamName);
    }
}
