namespace MLNetAdam.Training;

/// <summary>How the ranks of a distributed run (see <see cref="AdamMlpOptionsBase.Communicator"/>) hold the data.</summary>
public enum DataDistribution
{
    /// <summary>
    /// Every rank reads the same data view and takes its share of each global batch: the same steps as one process,
    /// to float rounding. The default.
    /// </summary>
    Replicated = 0,

    /// <summary>
    /// Each rank passes its own shard (data no one machine holds): each global batch takes its share of
    /// <c>BatchSize</c> from every rank's shard, an epoch lasts as many steps as the largest shard needs (a rank whose
    /// shard is done contributes nothing), and the feature statistics, class counts, total weight, validation metrics
    /// and full-batch objective are summed over all ranks. Checkpoints are not written in this mode yet.
    /// </summary>
    Sharded = 1,
}
