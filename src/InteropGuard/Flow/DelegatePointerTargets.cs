using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Follows a delegate that a method of the compilation receives to the native function that gets it as a function
    /// pointer: <c>Marshal.GetFunctionPointerForDelegate</c> of the parameter, in the method or in a method it passes the
    /// delegate to (an extension <c>ToFunctionPointer(this D d)</c> that returns the pointer counts, and its result is
    /// followed in the caller), then <see cref="FunctionPointerUses"/> to the call that receives the pointer. A binding's
    /// <c>PushCFunction(LuaFunction f)</c> reaches <c>lua_pushcclosure</c> this way, which a delegate-typed native
    /// parameter would not show. Computed once per parameter, options scope and depth, held by the compilation's context.
    /// </summary>
    internal sealed class DelegatePointerTargets
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<(IParameterSymbol, InteropScope, int), Target> _targets = ConcurrentTables.Create<(IParameterSymbol, InteropScope, int), Target>(new ParameterSummaries.ParameterKeyComparer());

        private DelegatePointerTargets(InteropContext context)
        {
            _context = context;
        }

        public static DelegatePointerTargets Of(InteropContext context) => context.Held.Get(c => new DelegatePointerTargets(c));

        /// <summary>The native function the delegate <paramref name="parameter"/> receives is given to as a function pointer, or null.</summary>
        public NativeFunction? NativeTarget(IParameterSymbol parameter, InteropScope scope) => Get(parameter, scope, 0).Native;

        private Target Get(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || parameter.Type.TypeKind != TypeKind.Delegate || parameter.RefKind != RefKind.None
                || !(parameter.ContainingSymbol is IMethodSymbol method) || !WrapperSummaries.IsSourceMethodWithBody(method)
                || _context.NativeFunctions.Get(method) != null)
            {
                return Target.None;
            }

            // The depth is part of the key, as in ParameterSummaries: answers do not depend on who asks first, and the
            // bound cuts recursion.
            return _targets.GetOrAdd((parameter.OriginalDefinition, scope, depth), key => Compute(key.Item1, key.Item2, key.Item3));
        }

        private Target Compute(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            var body = _context.Wrappers.GetBody((IMethodSymbol)parameter.ContainingSymbol);
            if (body == null)
            {
                return Target.None;
            }

            var returnsPointer = false;
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter) || OperationTree.IsInNestedFunction(reference, body)
                    || !(OperationTree.WithConversions(reference).Parent is IArgumentOperation { Parent: IInvocationOperation call, Parameter: { } next }))
                {
                    continue;
                }

                IOperation? pointer = null;
                if (IsPointerConversion(call.TargetMethod))
                {
                    pointer = call;
                }
                else
                {
                    var further = Get(next, scope, depth + 1);
                    if (further.Native != null)
                    {
                        return further;
                    }

                    if (further.ReturnsPointer)
                    {
                        pointer = call;
                    }
                }

                if (pointer != null && FunctionPointerUses.Follow(_context, scope, pointer, body, out _) is { } uses)
                {
                    if (uses.FirstNative != null)
                    {
                        return new Target(uses.FirstNative, returnsPointer: false);
                    }

                    returnsPointer |= uses.IsReturned;
                }
            }

            return returnsPointer ? Target.Returned : Target.None;
        }

        private bool IsPointerConversion(IMethodSymbol method)
            => _context.Types.IsDelegatePointerConversion(method);

        /// <summary>The native function reached, or that the method returns the pointer to its caller.</summary>
        private sealed class Target
        {
            public static readonly Target None = new Target(null, returnsPointer: false);
            public static readonly Target Returned = new Target(null, returnsPointer: true);

            public Target(NativeFunction? native, bool returnsPointer)
            {
                Native = native;
                ReturnsPointer = returnsPointer;
            }

            public NativeFunction? Native { get; }
            public bool ReturnsPointer { get; }
        }
    }
}
