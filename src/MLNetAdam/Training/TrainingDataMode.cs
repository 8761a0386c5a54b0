namespace MLNetAdam.Training;

/// <summary>How <see cref="AdamMlpTrainer"/> reads the training data.</summary>
public enum TrainingDataMode
{
    /// <summary>In memory, unless the data would take more than half the available memory; then streamed.</summary>
    Auto = 0,

    /// <summary>Read once into memory (dense rows or CSR), reshuffled exactly every epoch.</summary>
    InMemory = 1,

    /// <summary>
    /// Streamed from the data view every epoch through a seeded shuffle buffer (see
    /// <see cref="AdamMlpOptionsBase.ShuffleBufferSize"/>): memory stays bounded, the order is only locally shuffled.
    /// Stochastic optimizers only; validation data is still read into memory.
    /// </summary>
    Streaming = 2,
}
