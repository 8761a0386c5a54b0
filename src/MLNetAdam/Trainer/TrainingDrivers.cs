using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;

namespace MLNetAdam.Trainer;

/// <summary>The training loops: mini-batch epochs for a <see cref="StochasticOptimizer"/>, one full-batch minimization for a <see cref="BatchOptimizer"/>.</summary>
internal static class TrainingDrivers
{
    /// <summary>Runs <paramref name="epochs"/> passes of seeded mini-batches, one optimizer step per batch.</summary>
    public static List<TrainingEpoch> RunStochastic(
        TrainingProblem problem, StochasticOptimizer optimizer, float[] parameters, int epochs, int batchSize, bool shuffle, IChannel channel)
    {
        var data = problem.Train;
        int rows = data.RowCount;
        int batch = Math.Min(batchSize, rows);
        var objective = new MlpObjective<float>(problem.Layout, problem.Activation, problem.L2Regularization, batch);
        var validation = ValidationEvaluator(problem);
        var gradient = new float[parameters.Length];
        var state = optimizer.CreateState(parameters.Length);
        var order = new int[rows];
        for (int i = 0; i < rows; i++)
            order[i] = i;

        var history = new List<TrainingEpoch>(epochs);
        var clock = new Stopwatch();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            clock.Restart();
            if (shuffle)
                Shuffle(order, problem.Random);
            double lossSum = 0, weightSum = 0;
            for (int start = 0; start < rows; start += batch)
            {
                var batchRows = order.AsSpan(start, Math.Min(batch, rows - start));
                double loss = objective.Evaluate(parameters, gradient, data, batchRows);
                if (!double.IsFinite(loss))
                    throw Diverged(epoch, start / batch, loss);
                // A batch whose weights sum to zero still counts once, so that the epoch mean stays defined.
                double weight = objective.LastWeight > 0 ? objective.LastWeight : 0;
                lossSum += loss * weight;
                weightSum += weight;
                optimizer.Step(parameters, gradient, state, optimizer.LearningRate);
            }
            double trainingLoss = weightSum > 0 ? lossSum / weightSum : 0;
            double? validationLoss = validation?.Evaluate(parameters, Span<float>.Empty);
            clock.Stop();
            history.Add(new TrainingEpoch(epoch, trainingLoss, validationLoss, clock.Elapsed));
            Log(channel, $"Epoch {epoch}/{epochs}", trainingLoss, validationLoss, clock.Elapsed);
        }
        return history;
    }

    /// <summary>Hands the full-batch objective to <paramref name="optimizer"/> and records one history entry per iteration.</summary>
    public static List<TrainingEpoch> RunBatch(TrainingProblem problem, BatchOptimizer optimizer, float[] parameters, IChannel channel)
    {
        var evaluator = new FullBatchEvaluator(problem, problem.Train, withGradient: true);
        var validation = ValidationEvaluator(problem);
        var history = new List<TrainingEpoch>();
        var clock = Stopwatch.StartNew();
        var progress = new SynchronousProgress<double>(loss =>
        {
            double? validationLoss = validation?.Evaluate(parameters, Span<float>.Empty);
            var entry = new TrainingEpoch(history.Count + 1, loss, validationLoss, clock.Elapsed);
            history.Add(entry);
            Log(channel, $"Iteration {entry.Epoch}", loss, validationLoss, clock.Elapsed);
            clock.Restart();
        });
        LossAndGradient objective = (p, g) => evaluator.Evaluate(p, g);
        var result = optimizer.Minimize(parameters, objective, progress, CancellationToken.None);
        channel.Info(MessageSensitivity.None, $"{optimizer.GetType().Name} stopped: {result.Reason} after {result.Iterations} iterations and {result.Evaluations} evaluations; loss {result.Loss:G6}.");
        if (!double.IsFinite(result.Loss))
            throw Diverged(history.Count, 0, result.Loss);
        return history;
    }

    private static FullBatchEvaluator? ValidationEvaluator(TrainingProblem problem) =>
        problem.Validation is null ? null : new FullBatchEvaluator(problem with { L2Regularization = 0 }, problem.Validation, withGradient: false);

    // Fisher–Yates with the trainer's seeded generator: the same seed gives the same order.
    private static void Shuffle(int[] order, Random random)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private static InvalidOperationException Diverged(int epoch, int batch, double loss) =>
        new($"Training diverged: the loss became {loss} in epoch {epoch}, batch {batch}. Lower the optimizer's LearningRate, add L2Regularization, or check the features' scale.");

    private static void Log(IChannel channel, string what, double trainingLoss, double? validationLoss, TimeSpan elapsed)
    {
        string validation = validationLoss is double v ? $", validation loss {v:F6}" : string.Empty;
        channel.Info(MessageSensitivity.None, $"{what}: training loss {trainingLoss:F6}{validation}, {elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
