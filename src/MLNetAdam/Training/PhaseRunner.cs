using MLNetAdam.Optimizers;
using MLNetAdam.Persistence;

namespace MLNetAdam.Training;

/// <summary>
/// Runs the phases of a training run in order on one parameter vector: each <see cref="StochasticOptimizer"/> phase
/// through <see cref="StochasticDriver"/>, each <see cref="BatchOptimizer"/> phase through <see cref="FullBatchDriver"/>.
/// </summary>
internal static class PhaseRunner
{
    /// <summary>
    /// Runs <paramref name="phases"/>. With <paramref name="resume"/>, the history, random stream and counters continue
    /// from the checkpoint: phases it had finished are skipped, and the phase it was in continues from its saved state.
    /// </summary>
    public static void Run(TrainingRun run, IReadOnlyList<TrainingPhase> phases, TrainingCheckpoint? resume)
    {
        int first = 0;
        CheckpointRecord? record = resume?.Record;
        if (resume is not null)
        {
            if (record!.PhaseCount != phases.Count)
                throw new ArgumentException(
                    $"The checkpoint was written by a run of {record.PhaseCount} phase(s) and stopped in phase {Math.Min(record.Phase + 1, record.PhaseCount)}, "
                    + $"but these options give {phases.Count} phase(s); resume with the Phases (or the single Optimizer) the checkpoint was written with.");
            run.History.AddRange(resume.History);
            run.Problem.Random.State = record.RandomState;
            first = record.Phase;
        }
        for (int p = first; p < phases.Count; p++)
        {
            var phase = phases[p];
            var inPhase = record is not null && p == record.Phase && !record.PhaseCompleted ? record : null;
            switch (phase.Optimizer)
            {
                case StochasticOptimizer s:
                    StochasticDriver.Run(run, p, s, phase.NumberOfEpochs, phase.LearningRateSchedule, inPhase);
                    break;
                case BatchOptimizer b:
                    if (inPhase is not null)
                        throw new ArgumentException(
                            $"The checkpoint is inside phase {p + 1} with stochastic-optimizer state '{inPhase.OptimizerState}', but phase {p + 1} of these options is the batch optimizer {b.GetType().Name}; resume with the phases the checkpoint was written with.");
                    FullBatchDriver.Run(run, p, b);
                    break;
                default:
                    throw new ArgumentException($"The optimizer must derive from StochasticOptimizer or BatchOptimizer; got {phase.Optimizer.GetType().Name}.", nameof(phases));
            }
        }
    }
}
