using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>The user's code a callback runs beside its own throw (<see cref="ForwardedBeside"/>).</summary>
    internal sealed partial class ThrowOrigins
    {
        /// <summary>
        /// How many calls of the compilation deep a forwarding is looked for behind an own call: one, the helpers the callback
        /// calls itself (LibuvSharp's static bridge calling the request's <c>End</c>, which invokes the user's callback). Deeper,
        /// what is found is far from the callback and rarely what a reader would guard: NLua's operator metamethods reached
        /// the library's general <c>Push</c>, three calls down, and its cast to the public interface its generated types
        /// implement.
        /// </summary>
        private const int MaxForwardingDepth = 1;

        /// <summary>
        /// The first operation that forwards to code the library's user supplied, and what it reaches ("invokes the user's
        /// delegate 'callback'"), among what escapes <paramref name="body"/> (a body native code calls) beside the own throw
        /// <paramref name="summary"/> names — in the body itself, or else inside a call of the compilation that escapes it
        /// (then <c>Method</c> is the method holding it); null when no user's code runs outside a catch-all.
        /// </summary>
        /// <remarks>
        /// IG5001 names the body's own likeliest throw, and the model cannot always tell that it never runs: a defensive
        /// <c>throw</c> on a target that is never null, an "already initialized" check of a fresh object, an argument check
        /// of a value the native caller keeps in range (found on LibuvSharp, BulletSharp, RealSense). When the body also hands
        /// control to the user's code, an exception there escapes all the same, so the message names that too: what the
        /// reader must guard against is then in the message whether or not the own throw can happen. The summary keeps the
        /// body's first forwarding unless an own <c>throw</c> ended its reading early; the rest is looked for here, once
        /// per reported callback.
        /// </remarks>
        public (IOperation Operation, string Target, IMethodSymbol? Method)? ForwardedBeside(IOperation body, ThrowOriginSummary summary, AllocationCatalogue catalogue)
        {
            if (summary.FirstForwarded is { } first && summary.ForwardedTo is { } target && !InvokesNativeSignature(first))
            {
                return (first, target, null);
            }

            return FirstForwardedIn(body, null, catalogue, depth: 0, ContextRegistryLookups.ForCallback);
        }

        private (IOperation Operation, string Target, IMethodSymbol? Method)? FirstForwardedIn(IOperation body, IMethodSymbol? method, AllocationCatalogue catalogue, int depth, ContextRegistryLookups lookups)
        {
            var throwPoints = new ThrowPoints(_context, catalogue, everyFailure: true, depth: 0);
            var escaping = new System.Collections.Generic.List<IOperation>();
            foreach (var operation in new EscapingExceptions(throwPoints, _context.Types.Exception).AllEscaping(body))
            {
                if (lookups.IsLookup(operation))
                {
                    continue;
                }

                if (ForwardedTarget(operation, catalogue, depth, throwPoints, lookups, out var isOwn, out _) is { } forwarded && !isOwn)
                {
                    if (!InvokesNativeSignature(operation))
                    {
                        return (operation, forwarded, method);
                    }

                    continue;
                }

                if (isOwn)
                {
                    escaping.Add(operation);
                }
            }

            // Behind an own call of the compilation (a helper that checks a status, then invokes the user's handler).
            foreach (var operation in escaping)
            {
                var callee = operation switch
                {
                    IInvocationOperation { IsVirtual: false, TargetMethod: { MethodKind: not MethodKind.DelegateInvoke } target } => target,
                    IObjectCreationOperation { Constructor: { } constructor } => constructor,
                    _ => null,
                };
                if (callee != null && depth < MaxForwardingDepth && WrapperSummaries.IsSourceMethodWithBody(callee)
                    && DeclarationBodies.IsShort(callee, MaxStatements) && _context.Wrappers.GetBody(callee) is { } calleeBody
                    && FirstForwardedIn(calleeBody, callee, catalogue, depth + 1, ContextRegistryLookups.None) is { } inside)
                {
                    return inside;
                }
            }

            return null;
        }

        /// <summary>
        /// An invocation of a delegate whose type is marked <c>[UnmanagedFunctionPointer]</c>: a native function's signature,
        /// most often a loaded entry point (whisper.net's <c>nativeWhisper.Whisper_Full_N_Segments_From_State(state)</c>,
        /// made by <c>GetDelegateForFunctionPointer</c>), which the message must not call the user's code. Such a type may
        /// also carry the user's callback; the message then stays silent about it, which costs only the clause.
        /// </summary>
        private bool InvokesNativeSignature(IOperation operation)
            => operation is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.DelegateInvoke, ContainingType: { } type } }
               && _context.Types.UnmanagedFunctionPointerAttribute is { } marker
               && type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, marker));
    }
}
