using System.Numerics.Tensors;
using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>RMSprop written against the public extension point only, as a user would.</summary>
public sealed class UserRmsProp : StochasticOptimizer
{
    public override float LearningRate { get; set; } = 0.01f;

    public float Alpha { get; set; } = 0.99f;

    public List<float> LearningRatesSeen { get; } = new();

    public override void Validate() => RequireInRange(Alpha, 0, 1, nameof(Alpha));

    public override OptimizerState CreateState(int parameterCount) => new RmsState(parameterCount);

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
    {
        var s = CheckStep<RmsState>(parameters, gradient, state);
        s.StepCount++;
        LearningRatesSeen.Add(learningRate);
        for (int i = 0; i < parameters.Length; i++)
        {
            s.Square[i] = Alpha * s.Square[i] + (1 - Alpha) * gradient[i] * gradient[i];
            parameters[i] -= learningRate * gradient[i] / (MathF.Sqrt(s.Square[i]) + 1e-8f);
        }
    }

    public sealed class RmsState(int n) : OptimizerState
    {
        public float[] Square { get; } = new float[n];

        public override string StateName => "tests.rmsprop";

        public override IReadOnlyList<float[]> Buffers => [Square];
    }
}

/// <summary>Full-batch gradient descent with a fixed step, written against <see cref="BatchOptimizer"/>.</summary>
public sealed class UserGradientDescent : BatchOptimizer
{
    public int Iterations { get; set; } = 50;

    public float StepSize { get; set; } = 0.5f;

    public override void Validate() => RequirePositive(StepSize, nameof(StepSize));

    public override OptimizationResult Minimize(Span<float> parameters, LossAndGradient objective, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var gradient = new float[parameters.Length];
        var losses = new List<double>();
        double loss = objective(parameters, gradient);
        losses.Add(loss);
        for (int k = 0; k < Iterations; k++)
        {
            TensorPrimitives.MultiplyAdd(gradient, -StepSize, parameters, parameters);
            loss = objective(parameters, gradient);
            losses.Add(loss);
            progress?.Report(loss);
        }
        return new OptimizationResult(StopReason.MaximumIterations, Iterations, Iterations + 1, loss, losses);
    }
}

public sealed class CustomOptimizerTests
{
    private static IDataView Blobs(MLContext ml, int perClass, int seed)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, seed));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    [Fact]
    public void AUserWrittenStochasticOptimizerTrains()
    {
        var ml = new MLContext(seed: 1);
        var optimizer = new UserRmsProp { LearningRate = 0.005f };
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [8], Optimizer = optimizer, BatchSize = 10, NumberOfEpochs = 10, Seed = 1 })
            .Fit(Blobs(ml, 30, 1));
        // 90 rows in batches of 10: 9 steps per epoch, all at the configured learning rate.
        Assert.Equal(90, optimizer.LearningRatesSeen.Count);
        Assert.All(optimizer.LearningRatesSeen, lr => Assert.Equal(0.005f, lr));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 20, 2)));
        Assert.True(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");
    }

    [Fact]
    public void AUserWrittenBatchOptimizerGetsTheFullBatchObjective()
    {
        var ml = new MLContext(seed: 1);
        var optimizer = new UserGradientDescent { Iterations = 40 };
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [], Optimizer = optimizer, Seed = 1 }).Fit(Blobs(ml, 30, 1));
        var history = model.Model.TrainingHistory;
        Assert.Equal(40, history.Count);
        // Full-batch gradient descent with a small enough step never increases the loss.
        for (int i = 1; i < history.Count; i++)
            Assert.True(history[i].TrainingLoss <= history[i - 1].TrainingLoss + 1e-7, $"iteration {i}");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 20, 2)));
        Assert.True(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");
    }

    [Fact]
    public void AUserOptimizersOwnValidationRuns()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(new MLContext(1), new AdamMlpTrainer.Options { Optimizer = new UserRmsProp { Alpha = 2 } }));
        Assert.Equal("Alpha", e.ParamName);
    }
}
