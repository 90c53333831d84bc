"""The module file's functions read as parameter lists (t2t/clients/module_functions.py)."""

from __future__ import annotations

from t2t.clients.module_functions import cmdlet_parameters

MODULE = """$PublicKey = '<RSAKeyValue>…</RSAKeyValue>'
function script:Get-MailUser
{
    [CmdletBinding(DefaultParameterSetName='Identity')]
    param(
    [Parameter(ParameterSetName='Identity', Position=0, ValueFromPipeline=$true)]
    [System.Object]
    ${Identity},
    [ValidateSet('a', 'b')]
    $ResultSize)
    begin { $x = $PSBoundParameters['Identity'] }
}
function script:Set-MailUser
{
    [CmdletBinding(SupportsShouldProcess=$true)]
    param(
    [Parameter(Mandatory=$true)]
    [System.Object]
    ${Identity},
    [System.Object[]]
    ${EmailAddresses})
    process { Invoke-Rest -Name 'Set-MailUser' -Body $PSBoundParameters -Guid $ExchangeGuid }
}
Export-ModuleMember -Function @("Get-MailUser", "Set-MailUser")
"""


def test_each_function_gives_the_parameters_its_param_block_declares() -> None:
    got = cmdlet_parameters(MODULE, ["Set-MailUser", "get-mailuser", "New-MailUser"])
    assert got == {
        "Set-MailUser": ("Identity", "EmailAddresses"),  # not the body's $ExchangeGuid
        "get-mailuser": ("Identity", "ResultSize"),  # attributes' $true skipped
        "New-MailUser": None,  # no function: the identity may not run it
    }


def test_a_module_without_functions_says_nothing() -> None:
    assert cmdlet_parameters("$PublicKey = 'k'\nExport-ModuleMember\n", ["Set-MailUser"]) == {}


def test_a_function_without_a_closed_param_block_says_nothing_of_its_cmdlet() -> None:
    text = "function script:Set-MailUser {\n param(\n ${Identity},\n"
    assert cmdlet_parameters(text, ["Set-MailUser", "New-MailUser"]) == {"New-MailUser": None}
