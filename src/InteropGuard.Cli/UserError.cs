using System;

namespace InteropGuard.Cli
{
    /// <summary>Input the command cannot work with; its message is the one line the user sees, saying what to do.</summary>
    internal sealed class UserError : Exception
    {
        public UserError(string message)
            : base(message)
        {
        }
    }
}
