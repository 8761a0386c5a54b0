using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// The training loop's contracts that the restructuring fixed: schedules see each step's true epoch even when the row
/// count is unknown, the data mode is decided after looking at every phase, and options objects carry no run state.
/// </summary>
public sealed class TrainingLoopTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-loop-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Plain SGD that records the learning rate it is given at every step.</summary>
    private sealed class RecordingSgd : StochasticOptimizer
    {
        public List<float> Rates { get; } = new();

        public override float LearningRate { get; set; } = 0.05f;

        public override void Validate() => RequirePositive(LearningRate, nameof(LearningRate));

        public override OptimizerState CreateState(int parameterCount) => new State();

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
        {
            Rates.Add(learningRate);
            state.StepCount++;
            for (int i = 0; i < parameters.Length; i++)
                parameters[i] -= learningRate * gradient[i];
        }

        private sealed class State : OptimizerState
        {
            public override string StateName => "tests.recording-sgd";
        }
    }

    public sealed class CsvRow
    {
        [LoadColumn(0)]
        public string Label { get; set; } = "";

        [LoadColumn(1, 4), VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void AStreamedTextFileWithAnUnknownRowCountGetsTheInMemoryLearningRateAtEveryStep()
    {
        // 90 rows in batches of 16: 6 steps per epoch, which a text loader cannot know in advance (no row count).
        var ml = new MLContext(seed: 1);
        string path = Path.Combine(_folder, "blobs.csv");
        File.WriteAllLines(path, SyntheticData.Blobs(30, 2).Select(r => string.Join(",", new[] { r.Label }.Concat(r.Features.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))));
        var loaded = ml.Data.LoadFromTextFile<CsvRow>(path, separatorChar: ',');
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(loaded).Transform(loaded);
        Assert.Null(data.GetRowCount());

        List<float> Rates(TrainingDataMode mode)
        {
            var sgd = new RecordingSgd();
            new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [5],
                Optimizer = sgd,
                BatchSize = 16,
                NumberOfEpochs = 5,
                LearningRateSchedule = new StepSchedule { StepEpochs = 2, Gamma = 0.5 },
                DataMode = mode,
                Seed = 4,
            }).Fit(data);
            return sgd.Rates;
        }

        var inMemory = Rates(TrainingDataMode.InMemory);
        var streamed = Rates(TrainingDataMode.Streaming);
        Assert.Equal(5 * 6, inMemory.Count);
        Assert.Equal(inMemory, streamed);
        // StepLR by epoch: 0.05 for epochs 0-1, 0.025 for 2-3, 0.0125 for 4, six steps each.
        Assert.Equal(Enumerable.Repeat(0.05f, 12).Concat(Enumerable.Repeat(0.025f, 12)).Concat(Enumerable.Repeat(0.0125f, 6)), inMemory);
    }

    /// <summary>A view that reports a row count far beyond memory but never has to produce a row.</summary>
    private sealed class HugeView(IDataView inner) : IDataView
    {
        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => 1L << 40;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            throw new InvalidOperationException("No row may be read before the data mode is decided.");

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            throw new InvalidOperationException("No row may be read before the data mode is decided.");
    }

    [Fact]
    public void AutoDataModeLooksAtEveryPhaseBeforeTraining()
    {
        // Data that Auto would stream and a full-batch second phase: refused up front, naming the phase, not after the Adam phase.
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(5, 1));
        var data = new HugeView(ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
        var options = new AdamMlpTrainer.Options
        {
            Phases = [new TrainingPhase { Optimizer = new AdamOptimizer(), NumberOfEpochs = 3 }, new TrainingPhase { Optimizer = new LbfgsOptimizer() }],
        };
        var e = Assert.Throws<InvalidOperationException>(() => new AdamMlpTrainer(ml, options).Fit(data));
        Assert.Contains("phase 2's LbfgsOptimizer", e.Message);
        Assert.Contains("DataMode", e.Message);
    }

    [Fact]
    public async Task TwoConcurrentFitsSharingOneOptionsObjectEachEqualTheirSerialRun()
    {
        // 128 inputs → 256 → 3: over 32k parameters, so the two-thread Adam update splits between threads, and the
        // same AdamOptimizer instance serves both runs at once.
        var rows = Enumerable.Range(0, 240).Select(i =>
        {
            var random = new Random(i);
            return new WideRow { Label = (uint)(i % 3 + 1), Features = Enumerable.Range(0, 128).Select(d => (float)(random.NextDouble() + (d % 3 == i % 3 ? 1 : 0))).ToArray() };
        }).ToList();
        var options = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [256],
            BatchSize = 32,
            NumberOfEpochs = 3,
            NumberOfThreads = 2,
            Seed = 9,
        };

        float[] Train()
        {
            var ml = new MLContext(seed: 1);
            return new AdamMlpTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(rows)).Model.GetParameters();
        }

        float[] serial = Train();
        var concurrent = await Task.WhenAll(Task.Run(Train), Task.Run(Train));
        Assert.Equal(serial, concurrent[0]);
        Assert.Equal(serial, concurrent[1]);
    }

    public sealed class WideRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(128)]
        public float[] Features { get; set; } = [];
    }
}
