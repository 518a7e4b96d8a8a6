namespace InteropGuard.Cli
{
    /// <summary>
    /// One InteropGuard result read back from the compiler's SARIF log. <see cref="File"/> is the full path, empty for a
    /// finding without a source location (IG0001). <see cref="Baselined"/>: the baseline suppressor suppressed it.
    /// </summary>
    internal sealed record Finding(string RuleId, string Level, string Message, string File, int Line, int Column, bool Baselined)
    {
        /// <summary>Where it is, for people: "src/Mat.cs:12:5".</summary>
        public string Where(string baseDirectory)
            => File.Length == 0 ? "(project)" : Paths.Display(baseDirectory, File) + ":" + Line + ":" + Column;
    }
}
