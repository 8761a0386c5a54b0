namespace MLNetAdam.Data;

/// <summary>How the features of the training rows are stored.</summary>
internal enum FeatureStorage
{
    /// <summary>Sparse rows when the vectors arrive sparse, dense otherwise.</summary>
    Auto,

    /// <summary>Dense rows.</summary>
    Dense,

    /// <summary>Compressed sparse rows.</summary>
    Sparse,
}
