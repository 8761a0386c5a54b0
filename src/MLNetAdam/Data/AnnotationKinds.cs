using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>The annotation names and values ML.NET's scorers and evaluators look for.</summary>
internal static class AnnotationKinds
{
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    public const string ScoreColumnKind = "ScoreColumnKind";
    public const string ScoreValueKind = "ScoreValueKind";
    public const string ScoreColumnSetId = "ScoreColumnSetId";
    public const string MulticlassClassification = "MulticlassClassification";
    public const string ScoreValueKindScore = "Score";
    public const string ScoreValueKindPredictedLabel = "PredictedLabel";
    public const string ScoreValueKindProbability = "Probability";
    public const string BinaryClassification = "BinaryClassification";
    public const string Regression = "Regression";
    public const string IsNormalized = "IsNormalized";

    /// <summary>ML.NET's type of the score-column-set id: a <see cref="uint"/> key with <see cref="int.MaxValue"/> values.</summary>
    public static readonly KeyDataViewType ScoreColumnSetIdType = new(typeof(uint), int.MaxValue);
}
