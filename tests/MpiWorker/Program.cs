using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Distributed;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

// mpirun -np N dotnet MpiWorker.dll OUTPUT [--fail] [--single] [--regression]
var world = MpiCommunicator.World;
string output = args[0];
var ml = new MLContext(seed: 1);
var random = new Random(4);
var rows = Enumerable.Range(0, 300).Select(i =>
{
    int c = i % 3;
    return new Row { Label = c.ToString(), Features = Enumerable.Range(0, 4).Select(d => (float)((d == c ? 3.0 : 0.0) + random.NextDouble() * 2 - 1)).ToArray() };
}).ToList();
var raw = ml.Data.LoadFromEnumerable(rows);
var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
var options = new AdamMlpTrainer.Options
{
    HiddenLayerSizes = [12],
    Optimizer = new AdamOptimizer { LearningRate = 0.01f },
    BatchSize = 32,
    NumberOfEpochs = 3,
    EarlyStopping = null,
    L2Regularization = 1e-3f,
    NumberOfThreads = 1,
    Seed = 7,
    Communicator = args.Contains("--single") ? null : world,
};
if (args.Contains("--fail") && world.Rank == world.Size - 1)
    options.Optimizer = new FailingOptimizer();
var model = args.Contains("--regression") ? Regression(ml, options.Communicator) : new AdamMlpTrainer(ml, options).Fit(data).Model;
if (world.Rank == 0)
    File.WriteAllBytes(output, model.GetParameters().SelectMany(BitConverter.GetBytes).ToArray());
return 0;

// The regression trainer on the same engine: a target in the hundreds, standardized inside the trainer.
static MLNetAdam.Model.AdamMlpModelParameters Regression(MLContext ml, Communicator? communicator)
{
    var random = new Random(5);
    var rows = Enumerable.Range(0, 300).Select(_ =>
    {
        var x = Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return new ValueRow { Label = 200 + 50 * x[0] - 30 * x[1] * x[2] + 10 * x[3], Features = x };
    }).ToList();
    var options = new AdamMlpRegressionTrainer.Options
    {
        HiddenLayerSizes = [12],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 32,
        NumberOfEpochs = 3,
        EarlyStopping = null,
        NumberOfThreads = 1,
        Seed = 7,
        Communicator = communicator,
    };
    return new AdamMlpRegressionTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(rows)).Model;
}

public sealed class ValueRow
{
    public float Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class Row
{
    public string Label { get; set; } = "";

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

/// <summary>Adam that throws at its 15th step (in the second epoch), as a rank that hits a bug would.</summary>
public sealed class FailingOptimizer : StochasticOptimizer
{
    private readonly AdamOptimizer _adam = new() { LearningRate = 0.01f };
    private int _steps;

    public override float LearningRate { get => _adam.LearningRate; set => _adam.LearningRate = value; }

    public override void Validate() => _adam.Validate();

    public override OptimizerState CreateState(int parameterCount) => _adam.CreateState(parameterCount);

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
    {
        if (++_steps == 15)
            throw new InvalidOperationException("rank failure injected by --fail");
        _adam.Step(parameters, gradient, state, learningRate);
    }
}
