using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Does storing a pointer into a field of a local struct hand it to anyone? Win32 and C APIs take their arguments in
    /// structs (<c>lc.pamxctrl = buffer; mixerGetLineControls(h, ref lc, ..)</c>): the struct only carries the pointer to
    /// the call, which reads it there and keeps nothing, so the method that allocated the block still owns it. That holds
    /// while the struct itself stays in the method — passed by reference to native functions that do not keep their
    /// arguments (directly, or through a managed wrapper that only forwards it so), its fields read and written, its size
    /// taken — and while the stored field is not read back (a release through <c>Free(lc.p)</c> is one the analysis
    /// could not follow, so then the store stays a hand-over and the rules silent).
    /// </summary>
    internal sealed class LocalStructs
    {
        private readonly InteropContext _context;
        private readonly InteropScope _scope;
        private readonly Dictionary<(ILocalSymbol, IFieldSymbol), bool> _known = new Dictionary<(ILocalSymbol, IFieldSymbol), bool>();

        public LocalStructs(InteropContext context, InteropScope scope)
        {
            _context = context;
            _scope = scope;
        }

        /// <summary>True when storing into <paramref name="target"/> (a field of a local struct) only lends the value to the calls the struct goes to.</summary>
        public bool OnlyLends(IFieldReferenceOperation target)
        {
            if ((StructLocal(target) ?? InitializedLocal(target)) is not { } local)
            {
                return false;
            }

            var key = (local, target.Field.OriginalDefinition);
            if (!_known.TryGetValue(key, out var lends))
            {
                lends = Body(local) is { } body && StaysInMethod(body, local, target.Field.OriginalDefinition);
                _known[key] = lends;
            }

            return lends;
        }

        /// <summary>The local struct whose field (possibly nested, or set by an object initializer) <paramref name="field"/> is.</summary>
        private static ILocalSymbol? StructLocal(IFieldReferenceOperation field)
        {
            IOperation? instance = field.Instance;
            while (instance is IFieldReferenceOperation inner && inner.Type?.IsValueType == true)
            {
                instance = inner.Instance;
            }

            ILocalSymbol? local = null;
            if (instance is ILocalReferenceOperation reference)
            {
                local = reference.Local;
            }
            else if (instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
            {
                // new S { P = p }: the struct the initializer belongs to, stored into a local.
                var creation = instance.Parent;
                while (creation != null && creation is not IObjectCreationOperation)
                {
                    creation = creation.Parent;
                }

                local = creation?.Parent switch
                {
                    IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation assigned } => assigned.Local,
                    _ => null,
                };
            }

            return local is { IsRef: false, Type: { TypeKind: TypeKind.Struct } } ? local : null;
        }

        /// <summary>
        /// The whole body the local is declared in: operations of a control-flow graph are cut per statement (and carry no
        /// semantic model), so the tree of the declaring member or local function is bound once per stored field.
        /// </summary>
        private IOperation? Body(ILocalSymbol local)
        {
            if (local.DeclaringSyntaxReferences.Length != 1)
            {
                return null;
            }

            var declarator = local.DeclaringSyntaxReferences[0].GetSyntax();
            var member = declarator.Ancestors().FirstOrDefault(n => n is BaseMethodDeclarationSyntax || n is AccessorDeclarationSyntax || n is LocalFunctionStatementSyntax
                                                                    || n is AnonymousFunctionExpressionSyntax);
            if (member == null || member is AnonymousFunctionExpressionSyntax)
            {
                return null;
            }

#pragma warning disable RS1030 // The declaring body of a local the analyzed graph stores into; asked once per stored field and cached.
            var model = _context.Compilation.GetSemanticModel(member.SyntaxTree);
#pragma warning restore RS1030
            return model.GetOperation(member);
        }

        /// <summary>
        /// <c>var s = new S { P = p }</c> as a control-flow graph has it: the initializer writes into a flow capture
        /// of the new struct, so the local it ends in is read from the syntax.
        /// </summary>
        private ILocalSymbol? InitializedLocal(IFieldReferenceOperation field)
        {
            if (field.Instance is not (IFlowCaptureReferenceOperation or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
                || field.Syntax.Parent is not AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation } }
                || creation.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator })
            {
                return null;
            }

#pragma warning disable RS1030 // Only for a pointer stored by an object initializer; cached with the answer.
            var local = _context.Compilation.GetSemanticModel(declarator.SyntaxTree).GetDeclaredSymbol(declarator) as ILocalSymbol;
#pragma warning restore RS1030
            return local is { IsRef: false, Type: { TypeKind: TypeKind.Struct } } ? local : null;
        }

        private bool StaysInMethod(IOperation root, ILocalSymbol local, IFieldSymbol stored)
        {
            var lent = false;
            foreach (var reference in root.Descendants().OfType<ILocalReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, root))
                {
                    return false;
                }

                IOperation current = reference;
                var throughField = false;
                while (current.Parent is IFieldReferenceOperation member && member.Instance == current)
                {
                    if (SymbolEqualityComparer.Default.Equals(member.Field.OriginalDefinition, stored) && !IsWritten(member))
                    {
                        // The pointer is read back out of the struct: what happens to it then is not followed here.
                        return false;
                    }

                    throughField = true;
                    current = member;
                }

                if (throughField || IsWritten(current))
                {
                    continue;
                }

                if (!IsLentToCall(current, out var toCall))
                {
                    return false;
                }

                lent |= toCall;
            }

            // A struct that never reaches a native call lends nothing: what it holds is simply not followed.
            return lent;
        }

        private bool IsLentToCall(IOperation structReference, out bool toCall)
        {
            toCall = structReference.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None };
            switch (structReference.Parent)
            {
                case IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call }:
                    if (parameter.RefKind == RefKind.None)
                    {
                        // Marshal.SizeOf(s) reads the layout; any other by-value pass copies the pointer elsewhere.
                        return call.TargetMethod.Name == "SizeOf" && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _context.Types.Marshal);
                    }

                    if (HeldNativeFunctions.Of(_context).CalledBy(call) is { } native)
                    {
                        return !_scope.Keeps(native, native.Method.Parameters[parameter.Ordinal]) && !_scope.Options.OwnershipTransferFunctions.Contains(native.Method, native.EntryPoint);
                    }

                    return ForwardsOnlyToNative(parameter);
                default:
                    return false;
            }
        }

        /// <summary>A by-ref parameter of a managed wrapper that its body only passes on by reference to native functions that do not keep it.</summary>
        private bool ForwardsOnlyToNative(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol method || !WrapperSummaries.IsSourceMethodWithBody(method) || _context.Wrappers.GetBody(method) is not { } body)
            {
                return false;
            }

            var forwarded = false;
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter.OriginalDefinition) && !SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
                {
                    continue;
                }

                if (reference.Parent is IArgumentOperation { Parameter: { RefKind: not RefKind.None } target, Parent: IInvocationOperation call }
                    && _context.NativeFunctions.Get(call.TargetMethod) is { } native
                    && !_scope.Keeps(native, target))
                {
                    forwarded = true;
                    continue;
                }

                return false;
            }

            return forwarded;
        }

        private static bool IsWritten(IOperation operation)
            => operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation;
    }
}
