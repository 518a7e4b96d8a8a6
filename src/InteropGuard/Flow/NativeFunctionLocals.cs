using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using InteropGuard.Interop;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The native functions a delegate local can hold when it is declared with P/Invokes' method groups and never written
    /// again: one (<c>Fn copy = Native.copy_float;</c>), or a choice among several by <c>?:</c> or a switch expression whose
    /// other arms throw (<c>Action&lt;IntPtr, IntPtr&gt; copy = code switch { TypeCode.Single =&gt; Native.copy_float, …,
    /// _ =&gt; throw … }</c>). Invoking the local calls one of them with the same arguments, so the call fails only as they
    /// do; a throwing arm throws where the local is declared, not where it is invoked.
    /// </summary>
    internal static class NativeFunctionLocals
    {
        // ?: and switch expressions nested this deep are a table nobody writes by hand.
        private const int MaxDepth = 4;

        /// <summary>The P/Invokes an invocation through <paramref name="instance"/> may call, or null when it may call anything else.</summary>
        public static List<NativeFunction>? Of(IOperation? instance, StableValues stable, SemanticModel? model, NativeFunctionTable natives)
        {
            if (instance == null || OperationTree.SkipConversions(instance) is not ILocalReferenceOperation { Local: { Type.TypeKind: TypeKind.Delegate } local }
                || stable.InitializerOf(local, model) is not { } value)
            {
                return null;
            }

            var held = new List<NativeFunction>();
            return Collect(value, natives, held, 0) && held.Count > 0 ? held : null;
        }

        private static bool Collect(IOperation value, NativeFunctionTable natives, List<NativeFunction> held, int depth)
        {
            if (depth > MaxDepth)
            {
                return false;
            }

            switch (OperationTree.SkipConversions(value))
            {
                case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: var method, Instance: null } }
                    when natives.Get(method) is { } native:
                    held.Add(native);
                    return true;
                case IThrowOperation:
                    return true;
                case IConditionalOperation { WhenFalse: { } whenFalse } choice:
                    return Collect(choice.WhenTrue, natives, held, depth + 1) && Collect(whenFalse, natives, held, depth + 1);
                case ISwitchExpressionOperation switched:
                    foreach (var arm in switched.Arms)
                    {
                        if (!Collect(arm.Value, natives, held, depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return false;
            }
        }
    }
}
