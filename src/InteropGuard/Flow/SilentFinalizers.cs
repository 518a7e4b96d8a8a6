using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Finalizers that provably release nothing when their object is collected: <c>~T() =&gt; Dispose(false)</c> whose
    /// <c>Dispose(bool disposing)</c> releases only under <c>if (disposing)</c> (or returns first under
    /// <c>if (!disposing)</c>), followed with the flag false (<see cref="DisposingFlags"/>), reaching no call but known
    /// no-ops (<c>GC.SuppressFinalize</c>, logging) and source methods that are silent in turn, and no assignment but to
    /// locals, fields and auto-properties. Anything else — a native or unknown call, a delegate or event, a constructor,
    /// a virtual call whose overrides cannot all be seen, the depth bound — counts as a release: the answer is "silent"
    /// only when it is certain. A finalizer with an empty body is not judged silent: such stubs stand for a real
    /// finalizer in fixtures and placeholders, and what IG1001 reported on them before stays.
    /// </summary>
    internal sealed class SilentFinalizers
    {
        /// <summary>How many calls deep the finalizer is followed (<c>~T() =&gt; Dispose(false)</c> is one).</summary>
        private const int MaxDepth = 4;

        private readonly InteropContext _interop;

        // Output-only types: calling them releases nothing of the object. Resolved once per compilation.
        private readonly INamedTypeSymbol?[] _diagnosticsOutput;

        public SilentFinalizers(InteropContext interop)
        {
            _interop = interop;
            var compilation = interop.Compilation;
            _diagnosticsOutput = new[]
            {
                compilation.GetTypeByMetadataName("System.Diagnostics.Debug"),
                compilation.GetTypeByMetadataName("System.Diagnostics.Trace"),
                compilation.GetTypeByMetadataName("System.Diagnostics.Debugger"),
                compilation.GetTypeByMetadataName("System.Console"),
            };
        }

        private enum Outcome
        {
            /// <summary>Runs on and releases nothing.</summary>
            Silent,

            /// <summary>Releases nothing and always leaves the method (a return): what follows it in its block never runs.</summary>
            Exits,

            /// <summary>May release something, or cannot be told.</summary>
            Unknown,
        }

        /// <summary>
        /// Whether <paramref name="type"/> or a base declares a finalizer and every finalizer its collection runs is
        /// silent, virtual calls on the object resolved for <paramref name="type"/> and its subclasses in this compilation.
        /// </summary>
        public bool ReleasesNothing(INamedTypeSymbol type)
        {
            var declared = false;
            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var member in current.GetMembers("Finalize"))
                {
                    if (member is not IMethodSymbol { MethodKind: MethodKind.Destructor } finalizer)
                    {
                        continue;
                    }

                    declared = true;
                    if (BodyOf(finalizer) is not { } body || IsEmpty(body) || Walk(body, type, DisposingFlags.None, 0) == Outcome.Unknown)
                    {
                        return false;
                    }
                }
            }

            return declared;
        }

        private static bool IsEmpty(IOperation body)
            => body is IMethodBodyOperation { BlockBody: { Operations.IsEmpty: true }, ExpressionBody: null };

        /// <param name="thisType">The class virtual calls on <c>this</c> are resolved for; null when <c>this</c> is another object.</param>
        private Outcome Walk(IOperation? operation, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth)
        {
            switch (operation)
            {
                case null:
                    return Outcome.Silent;

                case IBlockOperation block:
                    foreach (var statement in block.Operations)
                    {
                        var outcome = Walk(statement, thisType, flags, depth);
                        if (outcome != Outcome.Silent)
                        {
                            return outcome;
                        }
                    }

                    return Outcome.Silent;

                case IConditionalOperation conditional:
                {
                    // The condition runs either way ('Release() && disposing' is known false, but Release() still runs).
                    if (Walk(conditional.Condition, thisType, flags, depth) == Outcome.Unknown)
                    {
                        return Outcome.Unknown;
                    }

                    var known = DisposingFlags.ValueOf(conditional.Condition, flags);
                    if (known != null)
                    {
                        return Walk(known.Value ? conditional.WhenTrue : conditional.WhenFalse, thisType, flags, depth);
                    }

                    var whenTrue = Walk(conditional.WhenTrue, thisType, flags, depth);
                    var whenFalse = Walk(conditional.WhenFalse, thisType, flags, depth);
                    return whenTrue == Outcome.Unknown || whenFalse == Outcome.Unknown ? Outcome.Unknown
                        : whenTrue == Outcome.Exits && whenFalse == Outcome.Exits ? Outcome.Exits
                        : Outcome.Silent;
                }

                case IReturnOperation ret:
                    return Walk(ret.ReturnedValue, thisType, flags, depth) == Outcome.Unknown ? Outcome.Unknown
                        : ret.Kind == OperationKind.Return ? Outcome.Exits : Outcome.Silent;

                case IInvocationOperation call:
                {
                    if (Children(call, thisType, flags, depth) == Outcome.Unknown)
                    {
                        return Outcome.Unknown;
                    }

                    return Call(call.TargetMethod, call.Instance, call.IsVirtual, DisposingFlags.Of(call, flags), thisType, depth);
                }

                case IPropertyReferenceOperation property:
                    return Children(property, thisType, flags, depth) == Outcome.Unknown ? Outcome.Unknown : Accessors(property, thisType, depth);

                case IConversionOperation { OperatorMethod: not null }:
                case IBinaryOperation { OperatorMethod: not null }:
                case IUnaryOperation { OperatorMethod: not null }:
                case ICompoundAssignmentOperation { OperatorMethod: not null }:
                case IIncrementOrDecrementOperation { OperatorMethod: not null }:
                    return Outcome.Unknown;

                case IMethodBodyOperation:
                case IExpressionStatementOperation:
                case ILiteralOperation:
                case IParameterReferenceOperation:
                case ILocalReferenceOperation:
                case IFieldReferenceOperation:
                case IInstanceReferenceOperation:
                case IConversionOperation:
                case IBinaryOperation:
                case IUnaryOperation:
                case ISimpleAssignmentOperation:
                case ICompoundAssignmentOperation:
                case IIncrementOrDecrementOperation:
                case IVariableDeclarationGroupOperation:
                case IVariableDeclarationOperation:
                case IVariableDeclaratorOperation:
                case IVariableInitializerOperation:
                case IArgumentOperation:
                case IEmptyOperation:
                case IDefaultValueOperation:
                case ITypeOfOperation:
                case ISizeOfOperation:
                case INameOfOperation:
                case IIsTypeOperation:
                case ICoalesceOperation:
                case IConditionalAccessOperation:
                case IConditionalAccessInstanceOperation:
                case IInterpolatedStringOperation:
                case IInterpolatedStringTextOperation:
                case IInterpolationOperation:
                case IParenthesizedOperation:
                case ITryOperation:
                case ICatchClauseOperation:
                case ILockOperation:
                case IWhileLoopOperation:
                case IForLoopOperation:
                case IBranchOperation:
                case ILabeledOperation:
                    // Reads, stores to locals and fields, arithmetic, control flow: none runs code of its own, so none
                    // releases anything. A return inside a try or a loop is walked past (more code, never less, is judged).
                    return Children(operation, thisType, flags, depth);

                default:
                    // Object creations, delegates and events, foreach (GetEnumerator), using (Dispose), patterns, ...
                    return Outcome.Unknown;
            }
        }

        private Outcome Children(IOperation operation, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth)
        {
            foreach (var child in operation.ChildOperations)
            {
                if (Walk(child, thisType, flags, depth) == Outcome.Unknown)
                {
                    return Outcome.Unknown;
                }
            }

            return Outcome.Silent;
        }

        /// <summary>A property read runs its getter, a store its setter, a compound store both; an auto-property runs neither.</summary>
        private Outcome Accessors(IPropertyReferenceOperation property, INamedTypeSymbol? thisType, int depth)
        {
            // An auto-property runs no code of its own, unless a subclass may override it.
            if (HandleOwners.IsAutoProperty(property.Property) && !property.Property.IsVirtual && !property.Property.IsOverride && !property.Property.IsAbstract)
            {
                return Outcome.Silent;
            }

            var stored = property.Parent is IAssignmentOperation assignment && assignment.Target == property;
            var read = !(property.Parent is ISimpleAssignmentOperation);
            var nonVirtual = property.Instance?.Syntax is BaseExpressionSyntax;
            var isVirtual = !nonVirtual && (property.Property.IsVirtual || property.Property.IsOverride || property.Property.IsAbstract);
            if (read && (property.Property.GetMethod is not { } getter || Call(getter, property.Instance, isVirtual, DisposingFlags.None, thisType, depth) == Outcome.Unknown))
            {
                return Outcome.Unknown;
            }

            if (stored && (property.Property.SetMethod is not { } setter || Call(setter, property.Instance, isVirtual, DisposingFlags.None, thisType, depth) == Outcome.Unknown))
            {
                return Outcome.Unknown;
            }

            return Outcome.Silent;
        }

        private Outcome Call(IMethodSymbol target, IOperation? instance, bool isVirtual, IReadOnlyDictionary<IParameterSymbol, bool> flags, INamedTypeSymbol? thisType, int depth)
        {
            if (IsKnownNoOp(target))
            {
                return Outcome.Silent;
            }

            if (depth >= MaxDepth || target.ContainingType.TypeKind == TypeKind.Interface)
            {
                return Outcome.Unknown;
            }

            var onThis = instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
            var calleeThis = onThis ? thisType : null;
            IEnumerable<IMethodSymbol> implementations;
            if (!isVirtual)
            {
                implementations = new[] { target };
            }
            else if (onThis && thisType != null)
            {
                implementations = Implementations(target, thisType);
            }
            else
            {
                return Outcome.Unknown;
            }

            foreach (var implementation in implementations)
            {
                if (implementation.IsAbstract || implementation.IsExtern || BodyOf(implementation) is not { } body
                    || Walk(body, calleeThis, Rekeyed(flags, target, implementation), depth + 1) == Outcome.Unknown)
                {
                    return Outcome.Unknown;
                }
            }

            return Outcome.Silent;
        }

        /// <summary>
        /// The methods a virtual call on <c>this</c> may run: the override <paramref name="thisType"/> inherits, and
        /// every override a subclass of it in this compilation declares. Handed out one at a time, the inherited one first:
        /// the caller stops at the first that may release, and only a silent inherited override needs the subclasses'
        /// (the compilation's override map is a copy of every type's member list, the tenth of IG1001's time on
        /// OpenCvSharp, whose finalizers all release in the inherited <c>Dispose(bool)</c>).
        /// </summary>
        private IEnumerable<IMethodSymbol> Implementations(IMethodSymbol target, INamedTypeSymbol thisType)
        {
            var original = target.OriginalDefinition;
            IMethodSymbol? inherited = null;
            for (var current = thisType; current != null && inherited == null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers(original.Name))
                {
                    if (member is IMethodSymbol method && Overrides(method, original))
                    {
                        inherited = method;
                        break;
                    }
                }
            }

            yield return inherited ?? original;

            foreach (var overriding in CompilationOverrides.Of(_interop).Overriding(original))
            {
                if (BaseTypes.InheritsFrom(overriding.ContainingType, thisType))
                {
                    yield return overriding;
                }
            }
        }

        private static bool Overrides(IMethodSymbol method, IMethodSymbol original)
        {
            for (var current = method; current != null; current = current.OverriddenMethod)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, original))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The flags a call passed, keyed by the parameters of the implementation that runs (an override has its own).</summary>
        private static IReadOnlyDictionary<IParameterSymbol, bool> Rekeyed(IReadOnlyDictionary<IParameterSymbol, bool> flags, IMethodSymbol target, IMethodSymbol implementation)
        {
            if (flags.Count == 0 || SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, implementation.OriginalDefinition))
            {
                return flags;
            }

            var rekeyed = new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default);
            foreach (var parameter in target.OriginalDefinition.Parameters)
            {
                if (flags.TryGetValue(parameter, out var value) && parameter.Ordinal < implementation.Parameters.Length)
                {
                    rekeyed[implementation.OriginalDefinition.Parameters[parameter.Ordinal]] = value;
                }
            }

            return rekeyed;
        }

        /// <summary>Calls that release nothing of the object: finalization bookkeeping and diagnostics output.</summary>
        private bool IsKnownNoOp(IMethodSymbol method)
        {
            var type = method.ContainingType?.OriginalDefinition;
            if (type == null)
            {
                return false;
            }

            if (SymbolEqualityComparer.Default.Equals(type, _interop.Types.GC))
            {
                return method.Name is "SuppressFinalize" or "KeepAlive";
            }

            return _diagnosticsOutput.Any(output => SymbolEqualityComparer.Default.Equals(type, output));
        }

        /// <summary>The operation tree of a method of this compilation, from the compilation's shared body cache, or null.</summary>
        private IOperation? BodyOf(IMethodSymbol method) => _interop.Wrappers.GetBody(method);

    }
}
