namespace MLNetAdam.Model;

/// <summary>What a network's output layer predicts, and so which columns scoring adds.</summary>
public enum MlpTask
{
    /// <summary>
    /// One output per class with softmax (<c>AdamMlpTrainer</c>): <c>Score</c> is the vector of class probabilities and
    /// <c>PredictedLabel</c> the most probable class as a key.
    /// </summary>
    MulticlassClassification = 0,

    /// <summary>
    /// One logit with a sigmoid (<c>AdamMlpBinaryTrainer</c>): <c>Score</c> is the logit (Single), <c>Probability</c>
    /// its sigmoid and <c>PredictedLabel</c> (Boolean) whether the logit is above 0.
    /// </summary>
    BinaryClassification = 1,

    /// <summary>One output in the label's units (<c>AdamMlpRegressionTrainer</c>): <c>Score</c> (Single).</summary>
    Regression = 2,
}
